// Shared by the store tests.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace saphan::store_test {

// A fresh directory per test, removed afterwards.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() /
           ("saphan-store-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string file(const std::string& name = "hub.db") const { return (path / name).string(); }
};

}  // namespace saphan::store_test
