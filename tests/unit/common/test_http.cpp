#include <boost/test/unit_test.hpp>

#include "reference/common/header_list.h"
#include "reference/common/http.h"

#include <string>
#include <vector>

using namespace outpost::http;

BOOST_AUTO_TEST_SUITE(http_messages)

// Accept and Transfer-Encoding are both split here: spaces and tabs around an element are not part of it, and empty
// elements (RFC 9110 5.6.1 lets a sender write them) are skipped.
BOOST_AUTO_TEST_CASE(a_header_list_splits_on_commas_and_trims_optional_white_space) {
  const auto elements = [](std::string_view value) {
    std::vector<std::string> out;
    for_each_list_element(value, [&](std::string_view element) { out.emplace_back(element); });
    return out;
  };
  using List = std::vector<std::string>;
  BOOST_TEST((elements("gzip, chunked") == List{"gzip", "chunked"}));
  BOOST_TEST((elements("\tchunked\t") == List{"chunked"}));
  BOOST_TEST((elements(" , a,,\t, b ;q=0 ,") == List{"a", "b ;q=0"}));
  BOOST_TEST(elements("").empty());
  BOOST_TEST(elements(" ,\t, ").empty());
  BOOST_TEST(trim_whitespace(" \t x y \t") == "x y");
}

BOOST_AUTO_TEST_CASE(headers_are_case_insensitive_and_keep_order) {
  Headers headers;
  headers.add("Content-Type", "a");
  headers.add("link", "1");
  headers.add("Link", "2");
  BOOST_TEST(*headers.get("content-type") == "a");
  BOOST_TEST(headers.get_all("LINK").size() == 2u);
  headers.set("LINK", "3");
  BOOST_TEST(headers.get_all("link").size() == 1u);
  BOOST_TEST(*headers.get("Link") == "3");
  headers.remove("content-TYPE");
  BOOST_TEST(!headers.has("Content-Type"));
}

BOOST_AUTO_TEST_CASE(query_parameters_are_decoded) {
  Request request;
  request.query = "n=10&last=a%2Fb&digest=sha256%3Aab&flag&scope=a+b&scope=c";
  BOOST_TEST(*request.query_param("n") == "10");
  BOOST_TEST(*request.query_param("last") == "a/b");
  BOOST_TEST(*request.query_param("digest") == "sha256:ab");
  BOOST_TEST(*request.query_param("flag") == "");
  BOOST_TEST(!request.query_param("missing"));
  const auto scopes = request.query_params("scope");
  BOOST_TEST(scopes.size() == 2u);
  BOOST_TEST(scopes[0] == "a b");
}

BOOST_AUTO_TEST_CASE(path_decoding_keeps_plus) {
  BOOST_TEST(percent_decode("/v2/a+b/%41") == "/v2/a+b/A");
  BOOST_TEST(percent_decode("bad%zz%") == "bad%zz%");
  BOOST_TEST(percent_encode("a b/c?d") == "a%20b/c%3Fd");
}

// Text with nothing to decode is copied whole; text with something to decode keeps what comes before it.
BOOST_AUTO_TEST_CASE(decoding_copies_what_needs_nothing) {
  BOOST_TEST(percent_decode("") == "");
  BOOST_TEST(percent_decode("0123456789abcdef.42", true) == "0123456789abcdef.42");
  BOOST_TEST(percent_decode("a+b", false) == "a+b");
  BOOST_TEST(percent_decode("a+b", true) == "a b");
  BOOST_TEST(percent_decode("+", true) == " ");
  BOOST_TEST(percent_decode("prefix%2Fsuffix+x", true) == "prefix/suffix x");
  BOOST_TEST(percent_decode("%41", true) == "A");
  BOOST_TEST(percent_decode("ab%4", true) == "ab%4");
}

BOOST_AUTO_TEST_CASE(string_body_reads_in_pieces) {
  StringBody body("hello world");
  char buffer[4];
  std::string out;
  while (size_t n = body.read(buffer)) out.append(buffer, n);
  BOOST_TEST(out == "hello world");
  BOOST_TEST(body.size() == 11u);
}

// RFC 9112 3.2.2: the authority and origin form of a target in absolute form; nothing for any other target.
BOOST_AUTO_TEST_CASE(absolute_form_targets_split_into_authority_and_origin_form) {
  const auto split = [](std::string_view target) {
    const auto absolute = absolute_target(target);
    return absolute ? std::string(absolute->authority) + " " + absolute->origin_form : std::string("none");
  };
  BOOST_TEST(split("http://registry:5000/v2/library/hello/tags/list?n=1") == "registry:5000 /v2/library/hello/tags/list?n=1");
  BOOST_TEST(split("HTTPS://[::1]:5000/v2/") == "[::1]:5000 /v2/");
  BOOST_TEST(split("http://registry") == "registry /");
  BOOST_TEST(split("http://registry?q=1") == "registry /?q=1");
  BOOST_TEST(split("/v2/") == "none");
  BOOST_TEST(split("http:///v2/") == "none");       // no host
  BOOST_TEST(split("ftp://registry/v2/") == "none");
  BOOST_TEST(split("*") == "none");
}

BOOST_AUTO_TEST_SUITE_END()
