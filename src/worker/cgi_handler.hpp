#pragma once
// CGI (RFC 3875): a process per request, as the site. The request body streams into the
// script's standard input and its standard output streams back to the client, through
// non-blocking pipes watched by the worker's event loop, so a slow script holds up only its own
// request. site.cgi.timeout kills the script's whole process group; a script that dies
// without a valid response head, or prints garbage, is a 502 and an error-log line that quotes
// its standard error. Everything it writes to standard error goes to the site's error log.

#include <memory>

#include "worker/exchange.hpp"
#include "worker/reactor.hpp"
#include "worker/response_plan.hpp"
#include "worker/script_route.hpp"
#include "worker/site.hpp"

namespace bulkhead::worker {

// Starts the script of `route`; nullptr with `error` set when it cannot run (403 not
// executable, 500 a broken interpreter line, 503 no process to be had).
std::unique_ptr<Responder> start_cgi(const Site& site, Reactor& reactor, const ScriptRoute& route,
                                     Exchange& exchange, ResponsePlan& error);

}  // namespace bulkhead::worker
