// File: jvmti_registration_test.cc
//
// Tests of JvmtiRegistration against a fake jvmtiEnv (a function table
// that records what was enabled, set and disposed): a failed registration
// leaves no event enabled and no callback set.

#include "agent/jvmti_registration.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace jleak::agent {
namespace {

// FakeJvmti: the JVMTI functions the registration calls; the others stay
// null (a call to one would crash the test, which is what we want).
struct FakeJvmti {
  FakeJvmti() {
    table.SetEventNotificationMode = &SetMode;
    table.SetEventCallbacks = &SetCallbacks;
    table.AddCapabilities = &AddCaps;
    table.RelinquishCapabilities = &RelinquishCaps;
    table.DisposeEnvironment = &Dispose;
    env.functions = &table;
    current = this;
  }
  ~FakeJvmti() { current = nullptr; }

  static jvmtiError JNICALL SetMode(jvmtiEnv*, jvmtiEventMode mode,
                                    jvmtiEvent event, jthread, ...) {
    if (current->disposed) return JVMTI_ERROR_INVALID_ENVIRONMENT;
    if (mode == JVMTI_ENABLE) {
      if (event == current->refuse_event) return JVMTI_ERROR_INVALID_EVENT_TYPE;
      current->enabled.insert(event);
    } else {
      current->enabled.erase(event);
    }
    return JVMTI_ERROR_NONE;
  }
  static jvmtiError JNICALL SetCallbacks(jvmtiEnv*,
                                         const jvmtiEventCallbacks* callbacks,
                                         jint size) {
    if (current->disposed) return JVMTI_ERROR_INVALID_ENVIRONMENT;
    jvmtiEventCallbacks none = {};
    current->callbacks_set =
        callbacks != nullptr && size > 0 &&
        std::memcmp(callbacks, &none, std::min<size_t>(size, sizeof(none))) !=
            0;
    return current->refuse_callbacks ? JVMTI_ERROR_ILLEGAL_ARGUMENT
                                     : JVMTI_ERROR_NONE;
  }
  static jvmtiError JNICALL AddCaps(jvmtiEnv*, const jvmtiCapabilities*) {
    ++current->capabilities;
    return JVMTI_ERROR_NONE;
  }
  static jvmtiError JNICALL RelinquishCaps(jvmtiEnv*,
                                           const jvmtiCapabilities*) {
    --current->capabilities;
    return JVMTI_ERROR_NONE;
  }
  static jvmtiError JNICALL Dispose(jvmtiEnv*) {
    ++current->disposed;
    return JVMTI_ERROR_NONE;
  }

  static FakeJvmti* current;
  jvmtiInterface_1_ table = {};
  _jvmtiEnv env = {};
  std::set<jvmtiEvent> enabled;
  bool callbacks_set = false;
  bool refuse_callbacks = false;
  jvmtiEvent refuse_event = static_cast<jvmtiEvent>(0);
  int capabilities = 0;
  int disposed = 0;
};
FakeJvmti* FakeJvmti::current = nullptr;

void JNICALL OnVmDeath(jvmtiEnv*, JNIEnv*) {}

jvmtiEventCallbacks SomeCallbacks() {
  jvmtiEventCallbacks callbacks = {};
  callbacks.VMDeath = OnVmDeath;
  return callbacks;
}

const std::vector<jvmtiEvent> kEvents = {
    JVMTI_EVENT_VM_DEATH, JVMTI_EVENT_CLASS_LOAD, JVMTI_EVENT_CLASS_PREPARE};

TEST(JvmtiRegistration, SuccessLeavesEverythingRegistered) {
  FakeJvmti fake;
  JvmtiRegistration reg(&fake.env);
  jvmtiCapabilities caps = {};
  caps.can_get_line_numbers = 1;
  ASSERT_TRUE(reg.AddCapabilities(caps));
  ASSERT_TRUE(RegisterEvents(reg, SomeCallbacks(), kEvents));
  EXPECT_EQ(fake.enabled.size(), 3u);
  EXPECT_TRUE(fake.callbacks_set);
  EXPECT_EQ(fake.capabilities, 1);
  EXPECT_EQ(fake.disposed, 0);
  EXPECT_FALSE(reg.undone());
}

TEST(JvmtiRegistration, RefusedEventUndoesAll) {
  FakeJvmti fake;
  fake.refuse_event = JVMTI_EVENT_CLASS_PREPARE;  // the last one
  JvmtiRegistration reg(&fake.env);
  jvmtiCapabilities caps = {};
  caps.can_get_line_numbers = 1;
  ASSERT_TRUE(reg.AddCapabilities(caps));
  EXPECT_FALSE(RegisterEvents(reg, SomeCallbacks(), kEvents));
  EXPECT_TRUE(fake.enabled.empty());
  EXPECT_FALSE(fake.callbacks_set);
  EXPECT_EQ(fake.capabilities, 0);
  EXPECT_EQ(fake.disposed, 1);
  EXPECT_TRUE(reg.undone());
}

TEST(JvmtiRegistration, RefusedCallbacksUndoAll) {
  FakeJvmti fake;
  fake.refuse_callbacks = true;
  JvmtiRegistration reg(&fake.env);
  EXPECT_FALSE(RegisterEvents(reg, SomeCallbacks(), kEvents));
  EXPECT_TRUE(fake.enabled.empty());
  EXPECT_EQ(fake.disposed, 1);
}

// Agent_OnAttach's later failure (no JNIEnv): everything registered is
// taken back, once, however often Undo is called.
TEST(JvmtiRegistration, UndoAfterSuccessIsCompleteAndIdempotent) {
  FakeJvmti fake;
  JvmtiRegistration reg(&fake.env);
  ASSERT_TRUE(RegisterEvents(reg, SomeCallbacks(), kEvents));
  reg.Undo();
  reg.Undo();
  EXPECT_TRUE(fake.enabled.empty());
  EXPECT_FALSE(fake.callbacks_set);
  EXPECT_EQ(fake.disposed, 1);
  EXPECT_FALSE(reg.Enable(JVMTI_EVENT_VM_DEATH));
  EXPECT_TRUE(fake.enabled.empty());
}

}  // namespace
}  // namespace jleak::agent
