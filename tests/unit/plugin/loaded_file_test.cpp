#include "core/plugin/loaded_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace gatemq::plugin {
namespace {

class LoadedFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gatemq-loaded-plugins-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string contents(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::filesystem::path dir_;
};

TEST_F(LoadedFile, NoFileIsNotAnEmptyList) {
  EXPECT_EQ(read_loaded_file(dir_ / "data/loaded_plugins"), std::nullopt);
}

TEST_F(LoadedFile, WritesTheSeedsFormatAndReadsItBack) {
  const auto path = dir_ / "data/loaded_plugins";
  write_loaded_file(path, {"emqx_management", "emqx_stomp"});
  EXPECT_EQ(contents(path), "emqx_management.\nemqx_stomp.\n");
  EXPECT_EQ(read_loaded_file(path), (std::vector<std::string>{"emqx_management", "emqx_stomp"}));
  write_loaded_file(path, {});
  EXPECT_EQ(read_loaded_file(path), std::vector<std::string>{});
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data/loaded_plugins.tmp"));
}

TEST_F(LoadedFile, ReadsCommentsAndBlankLines) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "loaded") << "% kept by hand\n\n  emqx_recon .\nemqx_retainer. % default\n";
  EXPECT_EQ(read_loaded_file(dir_ / "loaded"),
            (std::vector<std::string>{"emqx_recon", "emqx_retainer"}));
}

TEST_F(LoadedFile, SomethingElseThanNamesIsAnError) {
  std::filesystem::create_directories(dir_);
  for (const char* bad :
       {"emqx_stomp\n", "{emqx_stomp, true}.\n", "emqx stomp.\n", ".\n", "../etc/passwd.\n"}) {
    std::ofstream(dir_ / "loaded", std::ios::trunc) << "emqx_sn.\n" << bad;
    try {
      read_loaded_file(dir_ / "loaded");
      FAIL() << "accepted " << bad;
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(std::string(e.what()).starts_with((dir_ / "loaded").string() + ":2: "))
          << e.what();
    }
  }
}

}  // namespace
}  // namespace gatemq::plugin
