// A batch: the ops of one call, decoded and checked before any reaches an
// engine, then submitted whole (or, if decoding threw, never existing at
// all). InFlight holds one env's batches until each op's completion has been
// taken back, and the descriptors its ops opened until their close has run.
// Loop thread only.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "op.h"

namespace posix_aio {

struct Batch {
  // Names the batch to JS while it is in flight; (token, index) names an op.
  uint64_t token = 0;
  std::vector<Op> ops;    // never resized once decoded: engines hold pointers
  std::vector<Op*> list;  // the ops, as engines take them
  size_t outstanding = 0;  // ops not yet retired
  bool in_use = false;
};

class InFlight {
 public:
  explicit InFlight(napi_env env) : env_(env) {}
  ~InFlight();
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

  // A batch to decode into, under a token no batch in flight has. Batches
  // are reused, with their memory. Then exactly one of: Start (decoded) or
  // Abandon (decoding threw: nothing of it exists).
  Batch& Open();
  void Abandon(Batch& batch);
  // Tracks the batch's ops and starts their control blocks.
  void Start(Batch& batch);

  // Starts a batch that lives only for the call (LIO_WAIT): not tracked.
  static void StartLocal(Batch& batch);

  // The op `index` of batch `token`, or null when it is no longer in flight.
  Op* Find(uint64_t token, uint64_t index);

  // Calls fn(op) for each op in flight.
  template <typename Fn>
  void ForEachOp(Fn fn) {
    for (auto& batch : table_) {
      if (!batch->in_use) continue;
      for (Op& op : batch->ops) {
        if (!op.retired) fn(op);
      }
    }
  }

  // Takes a completed op back: its pins released, its control block given
  // the result, the descriptor it opened or closed noted. The batch is free
  // for reuse once its last op is retired.
  void Retire(Op& op);

  size_t ops() const { return ops_; }

  // Teardown: the descriptors opened through the engine whose close has not
  // run, and forget them; and release whatever is still pinned.
  std::vector<int> TakeOpenFds();
  void DropAll();

 private:
  void Release(Batch& batch);

  napi_env env_;
  // Batch `i` has tokens generation * 2^24 + i + 1: a token never names a
  // later batch in the same place (tokens stay below 2^53, exact in JS).
  std::vector<std::unique_ptr<Batch>> table_;
  std::vector<uint32_t> free_;
  size_t ops_ = 0;
  // Descriptor -> opens not yet matched by a close that ran (a number can be
  // reused by an open that completes before the close that freed it).
  std::unordered_map<int, int> open_fds_;
};

}  // namespace posix_aio
