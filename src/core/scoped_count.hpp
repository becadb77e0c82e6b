// Counts something in an atomic for as long as a scope lives: open connections, requests or
// exchanges in flight.
#pragma once

#include <atomic>
#include <cstddef>

namespace saphan {

class scoped_count {
 public:
  explicit scoped_count(std::atomic<std::size_t>& n) : n_(n) { n_.fetch_add(1); }
  ~scoped_count() { n_.fetch_sub(1); }
  scoped_count(const scoped_count&) = delete;
  scoped_count& operator=(const scoped_count&) = delete;

 private:
  std::atomic<std::size_t>& n_;
};

}  // namespace saphan
