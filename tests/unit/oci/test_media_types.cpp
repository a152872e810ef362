#include <boost/test/unit_test.hpp>

#include "reference/oci/media_types.h"

using namespace outpost::oci;

BOOST_AUTO_TEST_SUITE(media_types)

BOOST_AUTO_TEST_CASE(manifest_and_index_types) {
  BOOST_TEST(is_manifest_media_type("application/vnd.oci.image.manifest.v1+json"));
  BOOST_TEST(is_manifest_media_type("application/vnd.oci.image.index.v1+json"));
  BOOST_TEST(is_manifest_media_type("application/vnd.docker.distribution.manifest.v2+json"));
  BOOST_TEST(is_manifest_media_type("application/vnd.docker.distribution.manifest.list.v2+json"));
  BOOST_TEST(!is_manifest_media_type(kOciImageConfig));
  BOOST_TEST(!is_manifest_media_type(kOciEmpty));
  BOOST_TEST(!is_manifest_media_type(kDockerContainerConfig));
  BOOST_TEST(!is_manifest_media_type(kDockerSchema1SignedManifest));
  BOOST_TEST(!is_manifest_media_type("application/json"));

  BOOST_TEST(is_index_media_type(kOciImageIndex));
  BOOST_TEST(is_index_media_type(kDockerManifestList));
  BOOST_TEST(!is_index_media_type(kOciImageManifest));
  BOOST_TEST(!is_index_media_type(kDockerManifest));
  BOOST_TEST(is_image_manifest_media_type(kDockerManifest));
  BOOST_TEST(!is_image_manifest_media_type(kOciImageIndex));
}

BOOST_AUTO_TEST_CASE(essence_drops_parameters_and_whitespace) {
  BOOST_TEST(media_type_essence("application/json") == "application/json");
  BOOST_TEST(media_type_essence(" application/json ; charset=utf-8") == "application/json");
  BOOST_TEST(media_type_essence("Application/JSON;q=0.5") == "Application/JSON");
  BOOST_TEST(media_type_essence("").empty());
  BOOST_TEST(media_type_essence(" ; x=y").empty());
}

BOOST_AUTO_TEST_SUITE_END()
