// The Host of the machine vigild runs on.
#pragma once

#include "config/host.hpp"

namespace vigil::config {

class SystemHost final : public Host {
  public:
    std::optional<std::string> read_file(const std::string& path) override;
    std::unique_ptr<FileReader> open_file(const std::string& path) override;
    bool is_regular_file(const std::string& path) override;
    std::vector<std::string> list_dir(const std::string& dir) override;
    std::vector<std::string> glob(const std::string& pattern) override;
    std::string current_dir() override;
    bool executable(const std::string& program) override;
    std::string host_name() override;
    bool interface_exists(const std::string& name) override;
    bool user_exists(const std::string& name) override;
    bool group_exists(const std::string& name) override;
    std::pair<int, int> rt_priority_range() override;
    long cpu_count() override;
    unsigned random_seed() override;
};

}  // namespace vigil::config
