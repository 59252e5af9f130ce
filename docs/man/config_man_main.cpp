// Build tool: writes jobd.yaml(5) from its template, putting the key table of lib/jobd/config
// (config::DescribeKeysRoff) in place of the template's marker comment, so the man page cannot
// drift from the keys jobd reads. Usage: jobd_config_man TEMPLATE OUTPUT

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "jobd/config/config.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: jobd_config_man TEMPLATE OUTPUT\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    std::ostringstream text;
    text << in.rdbuf();
    std::string page = text.str();
    constexpr std::string_view kMarker = ".\\\" jobd_config_man puts the key table here\n";
    const auto at = page.find(kMarker);
    if (!in || at == std::string::npos) {
        std::cerr << "jobd_config_man: " << argv[1] << ": no marker line for the key table\n";
        return 1;
    }
    page.replace(at, kMarker.size(), jobd::config::DescribeKeysRoff());
    std::ofstream out(argv[2]);
    out << page;
    return out.good() ? 0 : 1;
}
