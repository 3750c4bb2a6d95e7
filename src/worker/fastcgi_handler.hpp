#pragma once
// FastCGI (the FastCGI 1.0 specification, responder role): one request at a time on a kept
// connection to the site's application (AppPool). The meta-variables are CGI's, sent as
// FCGI_PARAMS; the request body streams as FCGI_STDIN records and the response back from
// FCGI_STDOUT, with back-pressure both ways; FCGI_STDERR lines go to the site's error log.
//
// Errors: no application reachable 503 (Retry-After), none free within site.fastcgi.timeout
// 503, no answer within the timeout 504 (a spawned application is killed and replaced), a
// malformed record or response head, or a connection lost mid-request, 502.

#include <memory>

#include "worker/app_pool.hpp"
#include "worker/exchange.hpp"
#include "worker/reactor.hpp"
#include "worker/response_plan.hpp"
#include "worker/script_route.hpp"
#include "worker/site.hpp"

namespace bulkhead::worker {

std::unique_ptr<Responder> start_fastcgi(const Site& site, Reactor& reactor, AppPool& pool,
                                         const ScriptRoute& route, Exchange& exchange,
                                         ResponsePlan& error);

}  // namespace bulkhead::worker
