#include "gquic/core/utf8.h"

#include <gtest/gtest.h>

namespace gquic {
namespace {

TEST(Utf8, AcceptsWellFormed) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("gr\xc3\xbc\xc3\x9f"));            // ü ß
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));                   // €
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));               // U+1F600
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));               // U+10FFFF
}

TEST(Utf8, RejectsMalformed) {
  EXPECT_FALSE(is_valid_utf8("\x80"));                          // lone continuation
  EXPECT_FALSE(is_valid_utf8("\xc3"));                          // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));                      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));                  // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));                  // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));              // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("ok\xe2\x82"));                    // truncated at the end
}

}  // namespace
}  // namespace gquic
