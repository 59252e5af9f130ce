# jobctl, the command-line client of the API (contract §3). Included from daemon/CMakeLists.txt.
add_executable(jobctl ${CMAKE_CURRENT_LIST_DIR}/jobctl_main.cpp)
target_link_libraries(jobctl PRIVATE jobd::client CLI11::CLI11 jobd_warnings)
