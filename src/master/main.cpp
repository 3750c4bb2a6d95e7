// bulkhead: the command line (INTERFACE.md). `run` and `demo` become the master process.

#include <CLI/CLI.hpp>

#include "master/commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"bulkhead: a web server for many sites, each served only by its own user"};
    app.set_version_flag("--version", "bulkhead " BULKHEAD_VERSION);
    app.require_subcommand(1);

    std::string run_config;
    CLI::App* run = app.add_subcommand("run", "run in the foreground");
    run->add_option("-c,--config", run_config, "configuration file")->required();

    std::string check_config;
    CLI::App* check = app.add_subcommand("check", "validate a configuration and print the plan");
    check->add_option("-c,--config", check_config, "configuration file")->required();

    std::uint16_t demo_port = 8080;
    CLI::App* demo = app.add_subcommand("demo", "run a built-in two-site demo");
    demo->add_option("--port", demo_port, "port on 127.0.0.1 (and ::1)")->capture_default_str();

    CLI11_PARSE(app, argc, argv);
    if (*run) return bulkhead::master::run_command(run_config);
    if (*check) return bulkhead::master::check_command(check_config);
    if (*demo) return bulkhead::master::demo_command(demo_port);
    return 2;
}
