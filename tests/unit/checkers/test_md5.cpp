#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "digest.hpp"

using namespace vigil::checkers;

namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// RFC 1321, appendix A.5.
const std::vector<std::pair<std::string, std::string>> rfc_suite = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

}  // namespace

TEST(Md5, Rfc1321TestSuite) {
    for (const auto& [text, hex] : rfc_suite)
        EXPECT_EQ(to_hex(md5(text)), hex) << '"' << text << '"';
}

TEST(Md5, StreamedInAnyPiecesIsTheWholeDigest) {
    for (const auto& [text, hex] : rfc_suite) {
        for (std::size_t piece = 1; piece <= 65; piece += 7) {
            Md5 m;
            for (std::size_t i = 0; i < text.size(); i += piece)
                m.update(bytes(std::string_view(text).substr(i, piece)));
            EXPECT_EQ(to_hex(m.finish()), hex) << '"' << text << "\" in pieces of " << piece;
        }
    }
}

TEST(Md5, PaddingBoundaries) {
    // Lengths around the 56-byte mark (one or two padding blocks) and whole blocks; digests
    // from md5sum(1).
    EXPECT_EQ(to_hex(md5(std::string(55, 'a'))), "ef1772b6dff9a122358552954ad0df65");
    EXPECT_EQ(to_hex(md5(std::string(56, 'a'))), "3b0c8ac703f828b04c6c197006d17218");
    EXPECT_EQ(to_hex(md5(std::string(57, 'a'))), "652b906d60af96844ebd21b674f35e93");
    EXPECT_EQ(to_hex(md5(std::string(63, 'a'))), "b06521f39153d618550606be297466d5");
    EXPECT_EQ(to_hex(md5(std::string(64, 'a'))), "014842d480b571495a4a0363793f7367");
    EXPECT_EQ(to_hex(md5(std::string(65, 'a'))), "c743a45e0d2e6a95cb859adae0248435");
}

TEST(Md5, MillionAs) {
    Md5 m;
    const std::string chunk(1000, 'a');
    for (int i = 0; i < 1000; ++i) m.update(bytes(chunk));
    EXPECT_EQ(to_hex(m.finish()), "7707d6ae4e027c70eea2a935c2296f21");
}

TEST(Md5, FinishResets) {
    Md5 m;
    m.update(bytes("abc"));
    EXPECT_EQ(to_hex(m.finish()), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(to_hex(m.finish()), "d41d8cd98f00b204e9800998ecf8427e");
    m.update(bytes("a"));
    EXPECT_EQ(to_hex(m.finish()), "0cc175b9c0f1b6a831c399e269772661");
}
