// The simulated network's tests (bandwidth model, SimNetwork): one executable, apart from the engine's.
#define BOOST_TEST_MODULE outpost_sim_net
#include <boost/test/unit_test.hpp>
