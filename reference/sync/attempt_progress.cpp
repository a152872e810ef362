#include "reference/sync/attempt_progress.h"

namespace outpost::sync {

bool AttemptProgress::failed(const Counts& counts, bool lost_exchange) {
  if (counts.work != before_.work) {
    quick_retries_ = 0;
    return true;
  }
  if (!lost_exchange || counts.answers == before_.answers || quick_retries_ >= kQuickRetries) return false;
  ++quick_retries_;
  return true;
}

}  // namespace outpost::sync
