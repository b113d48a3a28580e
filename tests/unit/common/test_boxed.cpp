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

TEST(HeapOptional, EmptyIsOnePointerAndComparesLikeAnOptional) {
    static_assert(sizeof(HeapOptional<Part>) == sizeof(void*));
    HeapOptional<Part> a, b;
    EXPECT_FALSE(a);
    EXPECT_EQ(a, b);
    a = Part{{"x"}};
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->words.front(), "x");
    EXPECT_NE(a, b);
    b = Part{{"x"}};
    EXPECT_EQ(a, b);  // by value, not by address
    b->words.push_back("y");
    EXPECT_NE(a, b);
    b.reset();
    EXPECT_FALSE(b.has_value());
    EXPECT_NE(a, b);
}

TEST(HeapOptional, CopiesAreDeep) {
    HeapOptional<Part> a = Part{{"one"}};
    HeapOptional<Part> b = a;
    b->words.push_back("two");
    EXPECT_EQ(a->words.size(), 1u);
    EXPECT_EQ(b->words.size(), 2u);
    HeapOptional<Part> empty;
    b = empty;
    EXPECT_FALSE(b);
    HeapOptional<Part> moved = std::move(a);
    EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace vigil
