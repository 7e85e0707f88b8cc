// The response envelope and pagination: shapes, meta, slicing and bad parameters.
#include "management/envelope.hpp"

#include <gtest/gtest.h>

#include "management/pagination.hpp"

namespace gatemq::management {
namespace {

TEST(Envelope, OkCarriesCodeZeroAndData) {
  const auto response = ok(Json{{"a", 1}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.dump(), R"({"code":0,"data":{"a":1}})");
}

TEST(Envelope, PageCarriesMeta) {
  const auto response = ok_page(Json::array({1, 2}), PageMeta{2, 2, 5});
  EXPECT_EQ(response.body.dump(),
            R"({"code":0,"data":[1,2],"meta":{"page":2,"limit":2,"count":5}})");
}

TEST(Envelope, ErrorCarriesCodeAndMessage) {
  const auto response = error(400, ErrorCode::NotJson, "request body is not JSON");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body.dump(), R"({"code":109,"message":"request body is not JSON"})");
  const auto from_exception = error(ApiError(404, ErrorCode::NotOnline, "gone"));
  EXPECT_EQ(from_exception.status, 404);
  EXPECT_EQ(from_exception.body["code"], 112);
}

std::vector<int> numbers(int n) {
  std::vector<int> items;
  for (int i = 1; i <= n; ++i) items.push_back(i);
  return items;
}

TEST(Pagination, DefaultsToTheFirstPageOfMaxRows) {
  const auto request = parse_page({}, 10000);
  EXPECT_EQ(request.page, 1u);
  EXPECT_EQ(request.limit, 10000u);
}

TEST(Pagination, ReadsPageAndLimitAndTheSeedSpelling) {
  auto request = parse_page({{"_page", "3"}, {"_limit", "20"}}, 10000);
  EXPECT_EQ(request.page, 3u);
  EXPECT_EQ(request.limit, 20u);
  request = parse_page({{"curr_page", "2"}, {"page_size", "7"}}, 10000);
  EXPECT_EQ(request.page, 2u);
  EXPECT_EQ(request.limit, 7u);
}

TEST(Pagination, CapsTheLimitAtMaxRowLimit) {
  EXPECT_EQ(parse_page({{"_limit", "500000"}}, 10000).limit, 10000u);
}

TEST(Pagination, RefusesNonPositiveOrNonNumericValues) {
  for (const char* bad : {"0", "-1", "x", "1x", ""}) {
    try {
      parse_page({{"_page", bad}}, 100);
      FAIL() << bad;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), 400);
      EXPECT_EQ(e.code(), ErrorCode::ParameterType);
    }
    EXPECT_THROW(parse_page({{"_limit", bad}}, 100), ApiError);
  }
}

TEST(Pagination, SlicesPagesAndCountsEverything) {
  PageMeta meta;
  auto page = page_of(numbers(25), PageRequest{2, 10}, meta);
  EXPECT_EQ(page, (std::vector<int>{11, 12, 13, 14, 15, 16, 17, 18, 19, 20}));
  EXPECT_EQ(meta.page, 2u);
  EXPECT_EQ(meta.limit, 10u);
  EXPECT_EQ(meta.count, 25u);
  page = page_of(numbers(25), PageRequest{3, 10}, meta);
  EXPECT_EQ(page, (std::vector<int>{21, 22, 23, 24, 25}));
  page = page_of(numbers(25), PageRequest{4, 10}, meta);
  EXPECT_TRUE(page.empty());
  EXPECT_EQ(meta.count, 25u);
}

}  // namespace
}  // namespace gatemq::management
