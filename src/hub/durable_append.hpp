// Waiting for the group commit from a coroutine. The entry is submitted to the writer and the
// coroutine resumes on its own executor once the entry is durable (or refused), so no thread is
// held while a batch is written: a few worker threads can have any number of exchanges waiting.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "evidence/writer.hpp"

namespace saphan::hub {

boost::asio::awaitable<result<evidence::log_writer::appended>> durably_append(
    evidence::log_writer& log, evidence::log_writer::item entry);

}  // namespace saphan::hub
