#pragma once
// The subcommands of bulkhead(8) (INTERFACE.md, "Command line"). Each returns the exit status.

#include <cstdint>
#include <string>

namespace bulkhead::master {

// Exit statuses of `run`.
inline constexpr int kExitGraceful = 0;
inline constexpr int kExitConfiguration = 1;
inline constexpr int kExitStartup = 2;

int run_command(const std::string& config_path);
int check_command(const std::string& config_path);
int demo_command(std::uint16_t port);

}  // namespace bulkhead::master
