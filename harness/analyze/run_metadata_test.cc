// File: run_metadata_test.cc
//
// The manifest.json reader: values, absent and ill-typed fields, errors.

#include "harness/analyze/run_metadata.h"

#include "gtest/gtest.h"

namespace jleak {
namespace {

TEST(ParseManifestTest, CommandAndBuildIds) {
  absl::StatusOr<ManifestInfo> m =
      ParseManifest(R"({"settings":{"command":["java","-jar","x.jar"]},)"
                    R"("build_ids":{"/lib/libz.so.1":"abcd","/x":3}})",
                    "m.json");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->command, "java -jar x.jar");
  EXPECT_EQ(m->build_ids.size(), 1u);
  EXPECT_EQ(m->build_ids.at("/lib/libz.so.1"), "abcd");
  EXPECT_EQ(ParseManifest(R"({"settings":{"command":"a b"}})", "m")->command,
            "a b");
}

// `jleak attach` names the capture engine and its limit; ill-typed reads
// as unsaid.
TEST(ParseManifestTest, Engine) {
  absl::StatusOr<ManifestInfo> m = ParseManifest(
      R"({"engine":{"name":"sampling","limit":"not before the attach"}})", "m");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->engine, "sampling");
  EXPECT_EQ(m->engine_limit, "not before the attach");
  m = ParseManifest(R"({"engine":{"name":7,"limit":[]}})", "m");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->engine, "");
  EXPECT_EQ(m->engine_limit, "");
  EXPECT_EQ(ParseManifest(R"({"engine":"jemalloc"})", "m")->engine, "");
}

// An agent that walked native frames by frame pointers (no libunwind in
// the JVM's file system) says so in the engine's limit; libunwind adds
// nothing.
TEST(ParseManifestTest, FramePointerWalkIsALimit) {
  constexpr char kFramePointers[] = R"j({
      "engine": {"name": "sampling", "limit": "after the attach"},
      "agent": {"engine": {"unwinder": "frame pointers (no libunwind.so.8)"}}
  })j";
  absl::StatusOr<ManifestInfo> m = ParseManifest(kFramePointers, "m");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->engine_limit,
            "after the attach; native frames by frame pointers (no "
            "libunwind.so.8): a caller inside a library built without frame "
            "pointers may be missing from a stack");
  constexpr char kLibunwind[] = R"j({
      "engine": {"name": "sampling", "limit": "after the attach"},
      "agent": {"engine": {"unwinder": "libunwind (/lib/libunwind.so.8)"}}
  })j";
  m = ParseManifest(kLibunwind, "m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->engine_limit, "after the attach");
  m = ParseManifest(R"({"agent":{"engine":{"unwinder":3}}})", "m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->engine_limit, "");
}

TEST(ParseManifestTest, NotJsonIsAnError) {
  absl::StatusOr<ManifestInfo> m =
      ParseManifest("{not json", "d/manifest.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "d/manifest.json: not valid JSON; ignored");
  EXPECT_FALSE(ParseManifest("[]", "m").ok());
}

}  // namespace
}  // namespace jleak
