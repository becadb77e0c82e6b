#include "hub/durable_append.hpp"

#include <memory>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace saphan::hub {

namespace asio = boost::asio;
using appended = evidence::log_writer::appended;

asio::awaitable<result<appended>> durably_append(evidence::log_writer& log,
                                                 evidence::log_writer::item entry) {
  auto executor = co_await asio::this_coro::executor;
  auto initiate = [&log, executor](auto handler, evidence::log_writer::item queued) {
    // The writer finishes on its own thread; the coroutine goes on on its executor.
    auto waiting = std::make_shared<decltype(handler)>(std::move(handler));
    log.submit(std::move(queued), [waiting, executor](result<appended> written) {
      asio::post(executor, [waiting, written = std::move(written)]() mutable {
        std::move (*waiting)(std::move(written));
      });
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(result<appended>)>(
      std::move(initiate), asio::use_awaitable, std::move(entry));
}

}  // namespace saphan::hub
