#pragma once
// The completion token the live code awaits with: an operation's error comes back as the first element of a tuple
// instead of as an exception, because a closed or reset connection is an expected outcome there, not a failure.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace outpost::live {

inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace outpost::live
