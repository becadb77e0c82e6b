// The PostgreSQL server of the store tests (tests/store/pg_server.sh), real, never a mock.
//
// Under CTest, one server serves every test process of the run, plain and sanitized: CTest's
// fixture (CMakeLists.txt, store.pg_server) starts it before the first test and stops it after
// the last, also when tests fail, and SAPHAN_TEST_PG names the file it wrote. A test binary run
// by hand starts a server of its own at its first PostgreSQL test and a watcher that stops it
// when the binary ends, however it ends (the watcher waits for a pipe only the binary holds).
// Each test gets a database of its own (pg_database), dropped afterwards.
//
// When the server cannot be had (no PostgreSQL binaries: run tools/setup), every PostgreSQL test
// fails with the reason; none is skipped.
#pragma once

#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

extern char** environ;

namespace saphan::store_test {

struct pg_server_address {
  std::string host;  // the socket folder
  std::string port;
  std::string error;  // why there is no server; empty when there is one

  std::string url(const std::string& database) const {
    return "postgresql://saphan@/" + database + "?host=" + host + "&port=" + port;
  }
};

inline std::string pg_server_script() {
  return std::string(SAPHAN_SOURCE_DIR) + "/tests/store/pg_server.sh";
}

inline pg_server_address read_pg_address(std::istream& in) {
  pg_server_address a;
  std::string first;
  std::getline(in, first);
  if (first.rfind("error:", 0) == 0 || first.empty()) {
    a.error = first.empty() ? "the PostgreSQL test server wrote no address" : first;
    return a;
  }
  std::istringstream words(first);
  words >> a.host >> a.port;
  return a;
}

// Runs `argv` with stdin from `stdin_fd` (or /dev/null with -1), in a session of its own.
inline pid_t spawn(const std::vector<std::string>& args, int stdin_fd, const std::string& out) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdin_fd >= 0)
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
  else
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!out.empty())
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ) != 0)
    pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return pid;
}

// A server of this process's own, stopped by its watcher when the process ends.
inline pg_server_address start_own_pg_server() {
  pg_server_address a;
  char pattern[] = "/tmp/saphan-pg-XXXXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    a.error = "mkdtemp failed";
    return a;
  }
  const std::string dir = pattern;
  const std::string address_file = dir + ".address";
  pid_t starter = spawn({"/bin/bash", pg_server_script(), "start", dir}, -1, address_file);
  int status = 0;
  if (starter < 0 || waitpid(starter, &status, 0) != starter || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    a.error =
        "error: the PostgreSQL test server did not start (tests/store/pg_server.sh; its "
        "reason is above on stderr; tools/setup installs postgresql-15)";
    std::remove(address_file.c_str());
    return a;
  }
  std::ifstream in(address_file);
  a = read_pg_address(in);
  std::remove(address_file.c_str());
  // The watcher holds the read end; this process the write end, closed on exec so no child
  // keeps it open: when this process ends, the watcher reads end-of-file and stops the server.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) == 0) {
    spawn({"/bin/bash", pg_server_script(), "watch", dir}, fds[0], "");
    close(fds[0]);
    (void)fds[1];  // kept open for the life of the process
  }
  return a;
}

// The server, started once per process (or given by CTest's fixture).
inline const pg_server_address& pg_server() {
  static const pg_server_address address = [] {
    if (const char* file = std::getenv("SAPHAN_TEST_PG")) {
      std::ifstream in(file);
      if (!in) {
        pg_server_address a;
        a.error = std::string("error: SAPHAN_TEST_PG names ") + file +
                  ", which does not exist (the CTest fixture store.pg_server did not run)";
        return a;
      }
      return read_pg_address(in);
    }
    return start_own_pg_server();
  }();
  if (!address.error.empty())
    FAIL("no PostgreSQL test server: " << address.error);
  return address;
}

// A statement on the server's maintenance database. FAILs on error.
inline void pg_admin(const std::string& sql) {
  PGconn* c = PQconnectdb(pg_server().url("postgres").c_str());
  std::string failure;
  if (PQstatus(c) != CONNECTION_OK) {
    failure = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
      failure = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  if (!failure.empty())
    FAIL(sql << ": " << failure);
}

// A fresh, empty database for one test, dropped at the end of it.
struct pg_database {
  std::string name;
  std::string url;

  pg_database() {
    std::random_device rd;
    std::ostringstream n;
    n << "t_" << std::hex << rd() << rd();
    name = n.str();
    pg_admin("CREATE DATABASE " + name + " TEMPLATE template0 STRATEGY FILE_COPY");
    url = pg_server().url(name);
  }
  ~pg_database() {
    PGconn* c = PQconnectdb(pg_server().url("postgres").c_str());
    if (PQstatus(c) == CONNECTION_OK)
      PQclear(PQexec(c, ("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").c_str()));
    PQfinish(c);
  }
  pg_database(const pg_database&) = delete;
  pg_database& operator=(const pg_database&) = delete;
};

}  // namespace saphan::store_test
