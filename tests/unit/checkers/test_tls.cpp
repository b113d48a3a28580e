// The TLS plugin: found or not, and the client it makes (its first flight checked byte by byte;
// the handshake with a real server is tests/integration/test_checkers.py's test_ssl).
#include <gtest/gtest.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "tls_plugin.hpp"

using namespace vigil::checkers;

namespace {

TlsPlugin plugin() {
    auto p = TlsPlugin::load({VIGIL_TEST_TLS_PLUGIN});
    if (!p) throw std::runtime_error(p.error());
    return std::move(*p);
}

TEST(TlsPlugin, MissingFilesAreOneError) {
    auto p = TlsPlugin::load({"/nonexistent/a.so", "/nonexistent/b.so"});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error(), "TLS plugin not found (tried /nonexistent/a.so, /nonexistent/b.so)");
}

TEST(TlsPlugin, BrokenFileIsAnError) {
    auto path = std::filesystem::temp_directory_path() / "vigil-test-broken-plugin.so";
    std::ofstream(path) << "not an ELF object\n";
    auto p = TlsPlugin::load({path.string(), VIGIL_TEST_TLS_PLUGIN});
    std::filesystem::remove(path);
    ASSERT_FALSE(p);  // the first that exists is the one: no silent fallback
    EXPECT_TRUE(p.error().starts_with("TLS plugin: ")) << p.error();
    EXPECT_NE(p.error().find(path.string()), std::string::npos) << p.error();
}

TEST(TlsPlugin, EnvironmentOverridesTheSearch) {
    ASSERT_EQ(::setenv("VIGIL_TLS_PLUGIN", "/nonexistent/x.so", 1), 0);
    auto files = TlsPlugin::default_candidates();
    ::unsetenv("VIGIL_TLS_PLUGIN");
    EXPECT_EQ(files, std::vector<std::string>{"/nonexistent/x.so"});
    files = TlsPlugin::default_candidates();
    ASSERT_GE(files.size(), 3u);
    for (const auto& f : files) EXPECT_TRUE(f.ends_with("/vigil/vigil-tls-openssl.so")) << f;
    // The build tree's plugin is among them: this test's programs find it.
    EXPECT_NE(std::find(files.begin(), files.end(), VIGIL_TEST_TLS_PLUGIN), files.end());
}

TEST(TlsPlugin, ClientSendsAClientHelloWithTheServerName) {
    auto p = plugin();
    auto provider = p.make(TlsClientConfig{});
    ASSERT_TRUE(provider) << provider.error();
    auto session = (*provider)->client("vigil.test");
    ASSERT_TRUE(session) << session.error();
    EXPECT_EQ((*session)->handshake(), TlsSession::Step::want_read);
    auto out = (*session)->take_output();
    ASSERT_GT(out.size(), 9u);
    EXPECT_EQ(out[0], 0x16);  // a handshake record
    EXPECT_EQ(out[1], 0x03);
    EXPECT_EQ(out[5], 0x01);  // ClientHello
    EXPECT_EQ(std::size_t(out[3] << 8 | out[4]) + 5, out.size());
    std::string_view bytes(reinterpret_cast<const char*>(out.data()), out.size());
    EXPECT_NE(bytes.find("vigil.test"), std::string_view::npos);
    EXPECT_TRUE((*session)->take_output().empty());  // taken

    // Garbage from the "server" fails the handshake with OpenSSL's reason.
    const std::uint8_t junk[] = {'H', 'T', 'T', 'P', '/', '1', '.', '0', ' ', '2', '0', '0'};
    (*session)->feed(junk);
    EXPECT_EQ((*session)->handshake(), TlsSession::Step::failed);
    EXPECT_FALSE((*session)->error().empty());

    auto plain = (*provider)->client("");
    ASSERT_TRUE(plain);
    (*plain)->handshake();
    out = (*plain)->take_output();
    bytes = std::string_view(reinterpret_cast<const char*>(out.data()), out.size());
    EXPECT_EQ(bytes.find("vigil.test"), std::string_view::npos);
}

TEST(TlsPlugin, BadSettingsAreErrorValues) {
    auto p = plugin();
    TlsClientConfig c;
    c.certificate = "/nonexistent/vigil/cert.pem";
    auto made = p.make(c);
    ASSERT_FALSE(made);
    EXPECT_TRUE(made.error().starts_with("certificate /nonexistent/vigil/cert.pem: "))
        << made.error();
    c = {};
    c.ca = "/nonexistent/vigil/ca.pem";
    made = p.make(c);
    ASSERT_FALSE(made);
    EXPECT_TRUE(made.error().starts_with("ca /nonexistent/vigil/ca.pem: ")) << made.error();
}

}  // namespace
