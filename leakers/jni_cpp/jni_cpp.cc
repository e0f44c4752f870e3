// File: jni_cpp.cc - the native half of leaker 2, JniCpp.
//
// Each call builds a small C++ object graph and never deletes it. The
// allocations are two and three calls below the JNI entry, in a namespace:
//
//   Java_jleak_leakers_JniCpp_build
//     -> jleak::leakers::graph::BuildGraph         (new Graph)
//       -> jleak::leakers::graph::Graph::AddNode   (new Node)
//         -> jleak::leakers::graph::Node::Node     (new unsigned char[payload])
#include <jni.h>

#include <atomic>
#include <cstring>
#include <new>
#include <vector>

namespace jleak::leakers::graph {

// Node: one vertex with a payload and edges to earlier nodes.
class Node {
 public:
  __attribute__((noinline)) explicit Node(size_t payload_bytes)
      : payload_(new unsigned char[payload_bytes]), size_(payload_bytes) {
    std::memset(payload_, 0x5A, size_);
  }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void Link(Node* other) { edges_.push_back(other); }
  unsigned char last_byte() const { return payload_[size_ - 1]; }

 private:
  unsigned char* payload_;  // never freed: this is the leak
  size_t size_;
  std::vector<Node*> edges_;
};

// Graph: nodes linked in a chain plus a back edge to the first node.
class Graph {
 public:
  __attribute__((noinline)) Node* AddNode(size_t payload_bytes) {
    Node* node = new Node(payload_bytes);
    if (!nodes_.empty()) {
      node->Link(nodes_.back());
      node->Link(nodes_.front());
    }
    nodes_.push_back(node);
    return node;
  }
  Graph* next = nullptr;  // the global list of leaked graphs

 private:
  std::vector<Node*> nodes_;
};

// Every graph ever built, so the pointers escape.
std::atomic<Graph*> g_graphs{nullptr};

// BuildGraph builds a graph of `nodes` nodes with `payload_bytes` each and
// publishes it in g_graphs. Returns the last node's last payload byte.
__attribute__((noinline)) int BuildGraph(int nodes, size_t payload_bytes) {
  Graph* graph = new Graph();
  Node* last = nullptr;
  for (int i = 0; i < nodes; ++i) last = graph->AddNode(payload_bytes);
  graph->next = g_graphs.load();
  while (!g_graphs.compare_exchange_weak(graph->next, graph)) {
  }
  return last->last_byte();
}

}  // namespace jleak::leakers::graph

namespace {

constexpr jint kMaxNodes = 1 << 16;
constexpr jint kMaxPayloadBytes = 1 << 28;

void Throw(JNIEnv* env, const char* class_name, const char* message) {
  jclass cls = env->FindClass(class_name);
  if (cls != nullptr) env->ThrowNew(cls, message);
}

}  // namespace

// Leaks one graph of `nodes` nodes of `payload_bytes` each. Throws
// IllegalArgumentException for nodes outside [1, 65536] or payload outside
// [1, 2^28], OutOfMemoryError when new fails. No C++ exception escapes.
extern "C" JNIEXPORT jint JNICALL Java_jleak_leakers_JniCpp_build(
    JNIEnv* env, jclass cls, jint nodes, jint payload_bytes) {
  if (nodes < 1 || nodes > kMaxNodes) {
    Throw(env, "java/lang/IllegalArgumentException",
          "JniCpp.build: nodes must be in [1, 65536]");
    return -1;
  }
  if (payload_bytes < 1 || payload_bytes > kMaxPayloadBytes) {
    Throw(env, "java/lang/IllegalArgumentException",
          "JniCpp.build: payload must be in [1, 2^28] bytes");
    return -1;
  }
  try {
    return jleak::leakers::graph::BuildGraph(
        nodes, static_cast<size_t>(payload_bytes));
  } catch (const std::bad_alloc&) {
    Throw(env, "java/lang/OutOfMemoryError", "JniCpp.build: new failed");
    return -1;
  }
}
