// What only the disk binding promises: its layout, surviving a restart, and never showing half-written data.
#include <fcntl.h>

#include <fstream>

#include "reference/storage/posix_file.h"
#include "reference/storage/sqlite.h"

#include "tests/unit/storage/storage_harness.h"

using namespace outpost;
using namespace outpost::storage;
using namespace outpost::storage::testing;

namespace {

using DiskNode = Node<DiskBackend>;

void write_file(const std::filesystem::path& path, std::string_view bytes, bool append = false) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << bytes;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::filesystem::path blob_path(const std::filesystem::path& root, const Digest& digest) {
  const std::string hex(digest.hex());
  return root / "blobs" / std::string(digest.algorithm_name()) / hex.substr(0, 2) / hex;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(disk_storage)

BOOST_AUTO_TEST_CASE(data_directory_layout) {
  DiskNode node;
  const auto& root = node.backend.directory.path();
  const BlobInfo blob = node.blobs().put("layout");
  BOOST_TEST(read_file(blob_path(root, blob.digest)) == "layout");

  const std::string id = node.uploads().create("r").id;
  node.uploads().open_writer(id)->write("upload bytes");
  BOOST_TEST(read_file(root / "uploads" / id) == "upload bytes");

  const Digest sha512 = oci::digest_of("upload bytes", oci::DigestAlgorithm::Sha512);
  node.uploads().commit(id, sha512);
  BOOST_TEST(read_file(blob_path(root, sha512)) == "upload bytes");
  BOOST_TEST(!std::filesystem::exists(root / "uploads" / id));

  node.metadata().link_blob("r", blob);
  BOOST_TEST(std::filesystem::is_regular_file(root / "metadata.db"));
  BOOST_TEST(std::filesystem::is_regular_file(root / "metadata.db-wal"));  // write-ahead logging is on
}

BOOST_AUTO_TEST_CASE(every_file_under_blobs_is_a_whole_blob_named_by_its_digest) {
  DiskNode node;
  const auto& root = node.backend.directory.path();
  node.blobs().put("small");
  node.blobs().put(std::string(300000, 'z'));
  const std::string id = node.uploads().create("r").id;
  node.uploads().open_writer(id)->write("uploaded");
  node.uploads().commit(id, oci::digest_of("uploaded", oci::DigestAlgorithm::Sha512));
  node.uploads().open_writer(node.uploads().create("r").id)->write("still uploading");

  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "blobs")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string algorithm = entry.path().parent_path().parent_path().filename().string();
    const auto digest = Digest::parse(algorithm + ":" + entry.path().filename().string());
    BOOST_REQUIRE_MESSAGE(digest, entry.path().string() + " is not named by a digest");
    BOOST_TEST(oci::digest_of(read_file(entry.path()), digest->algorithm()) == *digest);
    BOOST_TEST(entry.path() == blob_path(root, *digest));
  }
  BOOST_TEST(files == 3u);
}

BOOST_AUTO_TEST_CASE(everything_survives_a_restart) {
  DiskNode node;
  const BlobInfo layer = node.blobs().put("layer");
  const BlobInfo manifest_blob = node.blobs().put("manifest");
  const ManifestRecord record = manifest_record("manifest", {layer.digest}, sha256("subject"), "application/x");
  node.metadata().link_blob("app", layer);
  node.metadata().put_manifest("app", record, std::string("v1"));
  const UploadState session = node.uploads().create("app");
  {
    auto writer = node.uploads().open_writer(session.id);
    writer->write("resumed ");
    writer->close();
  }

  node.reopen();

  std::vector<Digest> blobs{layer.digest, manifest_blob.digest};
  std::sort(blobs.begin(), blobs.end());
  BOOST_TEST(digests_of(node.blobs().list()) == blobs);
  BOOST_TEST(read_blob(node.blobs(), layer.digest) == std::optional<std::string>("layer"));
  BOOST_TEST(node.metadata().blob_linked("app", layer.digest));
  BOOST_TEST(node.metadata().resolve_tag("app", "v1") == std::optional<Digest>(record.digest));
  BOOST_TEST(node.metadata().manifest("app", record.digest)->references == record.references);
  BOOST_TEST(node.metadata().referrers("app", sha256("subject")).size() == 1u);
  BOOST_TEST(node.metadata().repositories("", 10) == strings({"app"}), boost::test_tools::per_element());

  const auto sessions = node.uploads().list();
  BOOST_REQUIRE(sessions.size() == 1u);
  BOOST_TEST(sessions[0].id == session.id);
  BOOST_TEST(sessions[0].repository == "app");
  BOOST_TEST(sessions[0].size == 8u);
  BOOST_TEST((sessions[0].started == session.started));

  // The session goes on after the restart; its running hash is gone, so commit hashes the file.
  {
    auto writer = node.uploads().open_writer(session.id);
    BOOST_TEST(writer->size() == 8u);
    writer->write("upload");
    writer->close();
  }
  BOOST_CHECK_THROW(node.uploads().commit(session.id, sha256("resumed")), DigestMismatch);
  BOOST_TEST(node.uploads().commit(session.id, sha256("resumed upload")).size == 14u);
  BOOST_TEST(read_blob(node.blobs(), sha256("resumed upload")) == std::optional<std::string>("resumed upload"));
}

// A data directory made before sessions recorded their last write: its table gains the column, and its sessions
// read as last written when they started until bytes arrive.
BOOST_AUTO_TEST_CASE(an_older_uploads_table_gains_the_last_write) {
  DiskNode node;
  const UploadState session = node.uploads().create("app");
  node.uploads().open_writer(session.id)->write("before");
  node.storage.reset();
  {
    storage::sqlite::Connection database(node.backend.directory.path() / "metadata.db");
    database.exec("ALTER TABLE uploads DROP COLUMN written");
  }
  node.clock.advance(std::chrono::hours(3));
  node.reopen();
  BOOST_TEST((node.uploads().get(session.id)->written == session.started));
  node.uploads().open_writer(session.id)->write(" and after");
  BOOST_TEST((node.uploads().get(session.id)->written == node.clock.now()));
  BOOST_TEST(node.uploads().get(session.id)->size == 16u);
}

BOOST_AUTO_TEST_CASE(bytes_that_bypassed_the_running_hash_are_hashed_at_commit) {
  // What a crash after a write(2) but before the hash update would leave: more bytes in the file than were hashed.
  DiskNode node;
  const std::string id = node.uploads().create("r").id;
  {
    auto writer = node.uploads().open_writer(id);
    writer->write("hashed ");
    writer->close();
  }
  write_file(node.backend.directory.path() / "uploads" / id, "unhashed", true);
  BOOST_TEST(node.uploads().get(id)->size == 15u);  // get() reports the data file's size
  BOOST_TEST(node.uploads().commit(id, sha256("hashed unhashed")).size == 15u);
}

BOOST_AUTO_TEST_CASE(stray_files_never_show_as_blobs) {
  DiskNode node;
  const auto& root = node.backend.directory.path();
  const BlobInfo real = node.blobs().put("real");
  const std::string hex(sha256("stray").hex());
  write_file(root / "tmp" / "put-abcdef", "half a blob");
  write_file(root / "blobs" / "sha256" / hex.substr(0, 2) / ("." + hex + ".tmp"), "half");
  write_file(root / "blobs" / "sha256" / hex.substr(0, 2) / hex.substr(1), "a name too short");
  write_file(root / "blobs" / "sha256" / "zz" / hex, "the wrong fan-out directory");
  write_file(root / "blobs" / "sha256" / "notes.txt", "not a directory of blobs");
  const std::string id = node.uploads().create("r").id;
  node.uploads().open_writer(id)->write("partial upload");

  BOOST_TEST(digests_of(node.blobs().list()) == std::vector<Digest>{real.digest});
  BOOST_TEST(!node.blobs().size_of(sha256("partial upload")));

  node.reopen();
  BOOST_TEST(digests_of(node.blobs().list()) == std::vector<Digest>{real.digest});
  BOOST_TEST(std::filesystem::is_empty(root / "tmp"));  // interrupted puts are cleared at open
  BOOST_TEST(node.uploads().get(id)->size == 14u);                 // the session itself is kept
}

BOOST_AUTO_TEST_CASE(interrupted_upload_bookkeeping_is_reconciled_at_open) {
  DiskNode node;
  const auto& root = node.backend.directory.path();
  const std::string kept = node.uploads().create("r").id;
  const std::string finished = node.uploads().create("r").id;
  // A commit that moved the file into blobs/ and crashed before deleting the row, and a file whose row never came.
  std::filesystem::remove(root / "uploads" / finished);
  write_file(root / "uploads" / "0123456789abcdef0123456789abcdef", "orphan");

  node.reopen();
  const auto sessions = node.uploads().list();
  BOOST_REQUIRE(sessions.size() == 1u);
  BOOST_TEST(sessions[0].id == kept);
  BOOST_TEST(!node.uploads().get(finished));
  BOOST_TEST(!std::filesystem::exists(root / "uploads" / "0123456789abcdef0123456789abcdef"));
}

// A blob file damaged on disk (a byte flipped, truncated) was kept for good: a put or a commit of the right bytes
// skipped writing because a file of that name existed, and the client was told its push worked. Now the right bytes
// replace it, and a put of bytes already stored whole still writes nothing.
BOOST_AUTO_TEST_CASE(a_push_of_the_right_bytes_repairs_a_damaged_blob) {
  DiskNode node;
  const auto& root = node.backend.directory.path();
  const std::string bytes(100000, 'b');
  const BlobInfo blob = node.blobs().put(bytes);
  const auto path = blob_path(root, blob.digest);

  std::string flipped = bytes;
  flipped[5000] = 'X';
  write_file(path, flipped);
  node.blobs().put(bytes);
  BOOST_TEST(read_file(path) == bytes);

  write_file(path, bytes.substr(0, 50000));
  const std::string id = node.uploads().create("r").id;
  node.uploads().open_writer(id)->write(bytes);
  node.uploads().commit(id, blob.digest);
  BOOST_TEST(read_file(path) == bytes);

  const auto written = std::filesystem::last_write_time(path);
  std::filesystem::last_write_time(path, written - std::chrono::hours(1));
  node.blobs().put(bytes);  // whole already: left as it is
  BOOST_TEST((std::filesystem::last_write_time(path) == written - std::chrono::hours(1)));
}

// A full disk is the storage's OutOfSpace (answered 507), not any failure (answered 500): /dev/full fails every
// write with ENOSPC.
BOOST_AUTO_TEST_CASE(no_space_left_is_out_of_space) {
  File full = File::open_if_exists("/dev/full", O_WRONLY);
  BOOST_REQUIRE(full);
  BOOST_CHECK_THROW(full.write_all("x"), OutOfSpace);
  File null = File::open_if_exists("/dev/null", O_WRONLY);
  BOOST_CHECK_NO_THROW(null.write_all("x"));
}

// A lost database opened as a fresh one: the node served nothing without a word, and the next gc removed every blob.
BOOST_AUTO_TEST_CASE(blobs_without_their_database_are_refused) {
  DiskNode node;
  const auto& root = node.backend.directory.path();
  node.metadata().link_blob("app", node.blobs().put("layer"));
  node.storage.reset();
  std::filesystem::remove(root / "metadata.db");
  try {
    node.reopen();
    BOOST_FAIL("opened blobs without their database");
  } catch (const StorageError& error) {
    BOOST_TEST(std::string(error.what()).find("holds blobs but no metadata.db") != std::string::npos, error.what());
  }
  BOOST_TEST(!std::filesystem::exists(root / "metadata.db"));  // nothing created in its place
  std::filesystem::rename(root / "blobs", root / "blobs.lost");
  BOOST_CHECK_NO_THROW(node.reopen());  // moved away: starts empty, as the message says
}

// A damaged database opened without complaint, and every request that touched its damaged pages failed later.
BOOST_AUTO_TEST_CASE(a_damaged_database_is_refused_at_open) {
  DiskNode node;
  const auto& root = node.backend.directory.path();
  for (int i = 0; i < 2000; ++i) node.metadata().link_blob("app/" + std::to_string(i), {sha256(std::to_string(i)), 1});
  node.storage.reset();
  const auto size = std::filesystem::file_size(root / "metadata.db");
  BOOST_REQUIRE(size > 40960u);
  {
    std::fstream database(root / "metadata.db", std::ios::binary | std::ios::in | std::ios::out);
    database.seekp(static_cast<std::streamoff>(size / 2));
    database << std::string(2000, '\x37');
  }
  BOOST_CHECK_THROW(node.reopen(), StorageError);
}

BOOST_AUTO_TEST_CASE(errors_name_the_file) {
  TemporaryDirectory directory;
  write_file(directory.path() / "data", "a file where the data directory should be");
  FakeClock clock;
  SeededRandom random(1);
  try {
    open_disk_storage(directory.path() / "data", clock, random);
    BOOST_FAIL("opened storage inside a regular file");
  } catch (const StorageError& error) {
    BOOST_TEST(std::string(error.what()).find((directory.path() / "data").string()) != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_data_directory_open_elsewhere_is_refused_at_once_and_free_once_closed) {
  // The metadata database is held exclusively (its reads then take no file lock each): a second opener, say `outpost
  // gc` on a running node's directory, is refused without waiting out the busy timeout, and nothing it saw is lost.
  DiskNode node;
  const BlobInfo blob = node.blobs().put("kept");
  node.metadata().link_blob("r", blob);
  FakeClock clock;
  SeededRandom random(2);
  try {
    open_disk_storage(node.backend.directory.path(), clock, random);
    BOOST_FAIL("opened a data directory another storage holds");
  } catch (const StorageError& error) {
    BOOST_TEST(std::string(error.what()).find("in use by another process") != std::string::npos, error.what());
  }
  BOOST_TEST(node.metadata().blob_linked("r", blob.digest));  // the holder goes on as before
  node.reopen();  // closed, then opened again: free
  BOOST_TEST(node.metadata().blob_linked("r", blob.digest));
}

BOOST_AUTO_TEST_CASE(two_directories_are_independent) {
  DiskNode first, second;
  first.blobs().put("only in the first");
  BOOST_TEST(second.blobs().list().empty());
}

BOOST_AUTO_TEST_SUITE_END()
