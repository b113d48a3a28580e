// vigilctl: show and steer a running vigild through its status socket.
#include <string>
#include <vector>

#include "ctl.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
        std::fputs(vigil::ctl_usage("vigilctl").c_str(), stdout);
        return 0;
    }
    return vigil::run_ctl(args, "vigilctl");
}
