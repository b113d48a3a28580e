#include "vigil/common/boxed.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil {
namespace {

struct Part {
    std::vector<std::string> words;
    bool operator==(const Part&) const = default;
};

TEST(Boxed, UnsetReadsAsTheDefaultAndComparesByValue) {
    Boxed<Part> a, b;
    EXPECT_TRUE(a->words.empty());
    EXPECT_EQ(a, b);
    b.edit();  // a box holding the default is still equal to none
    EXPECT_EQ(a, b);
    b.edit().words.push_back("x");
    EXPECT_NE(a, b);
}

TEST(Boxed, CopiesAreDeep) {
    Boxed<Part> a;
    a.edit().words = {"one"};
    Boxed<Part> b = a;
    b.edit().words.push_back("two");
    EXPECT_EQ(a->words, (std::vector<std::string>{"one"}));
    EXPECT_EQ(b->words, (std::vector<std::string>{"one", "two"}));
    a = b;
    EXPECT_EQ(a, b);
    Boxed<Part> c = std::move(a);
    EXPECT_EQ(c, b);
}

}  // namespace
}  // namespace vigil
