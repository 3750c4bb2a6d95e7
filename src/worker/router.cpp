#include "worker/router.hpp"

#include "worker/cgi_handler.hpp"
#include "worker/fastcgi_handler.hpp"

namespace bulkhead::worker {

std::unique_ptr<Responder> Router::start(const ScriptRoute& route, Exchange& exchange,
                                         ResponsePlan& error) {
    if (route.error_status != 0) {
        error = error_response(route.error_status);
        return nullptr;
    }
    if (route.handler == ScriptHandler::cgi) {
        return start_cgi(site_, reactor_, route, exchange, error);
    }
    if (route.handler == ScriptHandler::fastcgi && pool_ != nullptr) {
        return start_fastcgi(site_, reactor_, *pool_, route, exchange, error);
    }
    error = error_response(500);
    return nullptr;
}

}  // namespace bulkhead::worker
