#pragma once
// What the worker's loop drives for each client socket: an HTTP/1.1 connection (connection.hpp)
// or an HTTP/2 session (http2_session.hpp). The loop asks what each wants, advances it when
// its socket is ready, and acts on the verdict.

#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.hpp"
#include "ipc/dispatcher_worker.hpp"
#include "worker/access_log.hpp"
#include "worker/reactor.hpp"
#include "worker/router.hpp"
#include "worker/site.hpp"
#include "worker/transport.hpp"

namespace bulkhead::worker {

// What every client session of this worker shares.
struct ConnectionContext {
    const Site& site;
    Router& router;
    AccessLog& access_log;
    Reactor& reactor;
};

class ClientSession {
  public:
    enum class Verdict {
        keep,       // more to do; ask wants_read()/wants_write() again
        close,      // done: the loop closes the socket
        handback,   // plaintext only: the next request names another site; the socket goes back
        switch_h2,  // TLS handshake chose ALPN h2: the loop continues with an HTTP/2 session
    };

    virtual ~ClientSession() = default;
    virtual int fd() const = 0;
    virtual bool wants_read() const = 0;
    virtual bool wants_write() const = 0;
    virtual Millis deadline() const = 0;
    // Does all the work the socket allows now.
    virtual Verdict advance() = 0;
    // deadline() passed.
    virtual Verdict on_timeout() = 0;
    // Graceful stop: finish what is in flight, accept nothing new (HTTP/2: GOAWAY).
    virtual Verdict stop_keep_alive() = 0;
};

}  // namespace bulkhead::worker
