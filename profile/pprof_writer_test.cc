#include "profile/pprof_writer.h"

#include "gtest/gtest.h"
#include "profile/fake_symbolizer.h"

namespace jleak {
namespace {

namespace pb = perftools::profiles;

const std::string& Str(const pb::Profile& p, int64_t i) {
  return p.string_table(static_cast<int>(i));
}

TEST(PprofWriterTest, RoundTripsThroughProtobufsOwnParser) {
  FakeSymbolizer s;
  s.Add(0x1000, 0x100, {"malloc"}, "/lib/libjemalloc.so.2");
  s.Add(0x2000, 0x100, {"inlined_helper", "Java_X_leak"}, "/tmp/libx.so");
  s.Add(0x3000, 0x100, {"X.leak()"}, "[jit]");
  HeapProfile p;
  p.sample_period = 0;
  p.mappings.push_back(
      {0x2000, 0x3000, 0x1000, "r-xp", "fe:01", 7, "/tmp/libx.so"});
  p.stacks.push_back({{0x1000, 0x2001, 0x3001}, {2, 4096}, {}});
  p.stacks.push_back({{0x1000, 0x3001}, {1, 100}, {}});
  NamedProfile named = NameProfile(p, s, FrameFilter());

  absl::StatusOr<std::string> gz =
      SerializePprofGzipped(BuildPprof(named, {123, 0, "test"}));
  ASSERT_TRUE(gz.ok()) << gz.status();
  ASSERT_GE(gz->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  absl::StatusOr<std::string> raw = Gunzip(*gz);
  ASSERT_TRUE(raw.ok()) << raw.status();
  pb::Profile back;
  ASSERT_TRUE(back.ParseFromString(*raw));

  EXPECT_EQ(Str(back, 0), "");
  ASSERT_EQ(back.sample_type_size(), 2);
  EXPECT_EQ(Str(back, back.sample_type(0).type()), "inuse_objects");
  EXPECT_EQ(Str(back, back.sample_type(1).type()), "inuse_space");
  EXPECT_EQ(Str(back, back.sample_type(1).unit()), "bytes");
  EXPECT_EQ(Str(back, back.default_sample_type()), "inuse_space");
  EXPECT_EQ(back.time_nanos(), 123);
  ASSERT_EQ(back.sample_size(), 2);
  EXPECT_EQ(back.sample(0).value(0), 2);
  EXPECT_EQ(back.sample(0).value(1), 4096);
  // Stack 0: one location for 0x2000 with two lines (inlined), one JIT.
  ASSERT_EQ(back.sample(0).location_id_size(), 2);
  const pb::Location& leaf = back.location(back.sample(0).location_id(0) - 1);
  ASSERT_EQ(leaf.line_size(), 2);
  EXPECT_EQ(Str(back, back.function(leaf.line(0).function_id() - 1).name()),
            "inlined_helper");
  EXPECT_EQ(Str(back, back.function(leaf.line(1).function_id() - 1).name()),
            "Java_X_leak");
  ASSERT_NE(leaf.mapping_id(), 0u);
  const pb::Mapping& m = back.mapping(leaf.mapping_id() - 1);
  EXPECT_EQ(Str(back, m.filename()), "/tmp/libx.so");
  EXPECT_EQ(m.memory_start(), 0x2000u);
  EXPECT_EQ(m.file_offset(), 0x1000u);
  // The JIT location is shared by both samples and has no mapping.
  EXPECT_EQ(back.sample(1).location_id(0), back.sample(0).location_id(1));
  EXPECT_EQ(back.location(back.sample(1).location_id(0) - 1).mapping_id(), 0u);
}

TEST(PprofWriterTest, DiffKeepsNegativeValues) {
  NamedProfile diff;
  NamedStack freed;
  freed.frames.push_back({"f", "", 0, "", 0x10, 0, false});
  freed.counts = {-2, -200};
  diff.stacks.push_back(freed);
  pb::Profile p = BuildPprof(diff, {});
  ASSERT_EQ(p.sample_size(), 1);
  EXPECT_EQ(p.sample(0).value(1), -200);
}

TEST(GunzipTest, RejectsTruncatedInput) {
  absl::StatusOr<std::string> gz = SerializePprofGzipped(pb::Profile());
  ASSERT_TRUE(gz.ok());
  EXPECT_FALSE(Gunzip(gz->substr(0, gz->size() / 2)).ok());
}

}  // namespace
}  // namespace jleak
