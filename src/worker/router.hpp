#pragma once
// Who answers a request: the static file handler (synchronous: a ResponsePlan at once), or a
// handler that runs a site program (CGI, FastCGI) and answers through the Exchange as the
// program produces output. The connection asks classify() first, so a static request costs no
// more than before.

#include <memory>

#include "proto/http_head.hpp"
#include "worker/app_pool.hpp"
#include "worker/exchange.hpp"
#include "worker/reactor.hpp"
#include "worker/response_plan.hpp"
#include "worker/script_route.hpp"
#include "worker/site.hpp"
#include "worker/static_files.hpp"

namespace bulkhead::worker {

class Router {
  public:
    // `pool` may be null (no site.fastcgi).
    Router(const Site& site, const StaticFiles& files, Reactor& reactor, AppPool* pool)
        : site_(site), files_(files), reactor_(reactor), pool_(pool) {}

    // handler none: static, answered by files().serve(head).
    ScriptRoute classify(const proto::RequestHead& head) const { return find_script(site_, head); }
    const StaticFiles& files() const { return files_; }

    // Starts the handler for `route` on `exchange`; nullptr with `error` set when the request
    // is answered at once (the script is missing, forbidden, or cannot start).
    std::unique_ptr<Responder> start(const ScriptRoute& route, Exchange& exchange,
                                     ResponsePlan& error);

  private:
    const Site& site_;
    const StaticFiles& files_;
    Reactor& reactor_;
    AppPool* pool_;
};

}  // namespace bulkhead::worker
