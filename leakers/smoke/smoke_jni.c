// JNI half of the smoke workload: mallocs a block and keeps it forever.
#include "leakers/common/retain_jni.h"

JLEAK_RETAIN_JNI(Java_jleak_smoke_Smoke_retain)
