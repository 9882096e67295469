#include "batch.h"

#include <cerrno>

#include "args.h"
#include "control_block.h"

namespace posix_aio {

namespace {

constexpr uint64_t kIndexBits = 24;
constexpr uint64_t kMaxBatches = (uint64_t{1} << kIndexBits) - 1;
constexpr uint64_t kGenerations = uint64_t{1} << (53 - kIndexBits);
// A batch this large keeps no memory for the next one.
constexpr size_t kKeptOps = 1024;

uint64_t IndexOf(uint64_t token) { return (token & kMaxBatches) - 1; }

// `tracked`: the batch is InFlight's, and its ops point back at it.
void StartOps(Batch& batch, bool tracked) {
  batch.list.clear();
  batch.list.reserve(batch.ops.size());
  for (size_t i = 0; i < batch.ops.size(); ++i) {
    Op& op = batch.ops[i];
    op.batch = tracked ? &batch : nullptr;
    op.index = static_cast<uint32_t>(i);
    // Decoding refused blocks in flight or listed twice: this cannot fail.
    if (op.block != nullptr) op.block->Start(&op);
    batch.list.push_back(&op);
  }
  batch.outstanding = batch.ops.size();
}

}  // namespace

InFlight::~InFlight() { DropAll(); }

Batch& InFlight::Open() {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    if (table_.size() >= kMaxBatches) {
      throw Napi::RangeError::New(Napi::Env(env_), "posix-aio: too many batches in flight");
    }
    index = static_cast<uint32_t>(table_.size());
    table_.push_back(std::make_unique<Batch>());
    table_.back()->token = index + 1;
  }
  Batch& batch = *table_[index];
  batch.in_use = true;
  return batch;
}

void InFlight::Release(Batch& batch) {
  batch.in_use = false;
  batch.outstanding = 0;
  if (batch.ops.capacity() > kKeptOps) {
    std::vector<Op>().swap(batch.ops);
    std::vector<Op*>().swap(batch.list);
  } else {
    batch.ops.clear();
    batch.list.clear();
  }
  uint64_t index = IndexOf(batch.token);
  uint64_t generation = ((batch.token >> kIndexBits) + 1) % kGenerations;
  batch.token = (generation << kIndexBits) | (index + 1);
  free_.push_back(static_cast<uint32_t>(index));
}

void InFlight::Abandon(Batch& batch) { Release(batch); }

void InFlight::Start(Batch& batch) {
  StartOps(batch, true);
  ops_ += batch.ops.size();
}

void InFlight::StartLocal(Batch& batch) { StartOps(batch, false); }

Op* InFlight::Find(uint64_t token, uint64_t index) {
  uint64_t at = IndexOf(token);
  if (token == 0 || at >= table_.size()) return nullptr;
  Batch& batch = *table_[at];
  if (!batch.in_use || batch.token != token || index >= batch.ops.size()) return nullptr;
  Op& op = batch.ops[index];
  return op.retired ? nullptr : &op;
}

void InFlight::Retire(Op& op) {
  if (op.kind == OpKind::kOpen && op.result >= 0) {
    ++open_fds_[static_cast<int>(op.result)];
  } else if (op.kind == OpKind::kClose && op.result != -ECANCELED) {
    // Only a close withdrawn before it ran completes with ECANCELED (close
    // itself never fails so): that descriptor is still open.
    auto found = open_fds_.find(op.fd);
    if (found != open_fds_.end() && --found->second == 0) open_fds_.erase(found);
  }
  if (op.block != nullptr) op.block->Finish(op.result);
  Unpin(env_, op);  // the block's object may go once nothing pins it
  op.retired = true;
  auto* batch = static_cast<Batch*>(op.batch);
  if (batch == nullptr) return;  // a LIO_WAIT batch, its caller's
  --ops_;
  if (--batch->outstanding == 0) Release(*batch);
}

std::vector<int> InFlight::TakeOpenFds() {
  std::vector<int> fds;
  for (const auto& entry : open_fds_) fds.push_back(entry.first);
  open_fds_.clear();
  return fds;
}

void InFlight::DropAll() {
  for (auto& batch : table_) {
    if (!batch->in_use) continue;
    for (Op& op : batch->ops) {
      if (op.retired) continue;
      Unpin(env_, op);
      if (op.block != nullptr) op.block->Finish(-ECANCELED);
    }
    Release(*batch);
  }
  ops_ = 0;
}

}  // namespace posix_aio
