// Compensated (Kahan-Babuska / Neumaier) summation in double.
#ifndef KLDKIT_LIB_METRICS_COMPENSATED_SUM_H_
#define KLDKIT_LIB_METRICS_COMPENSATED_SUM_H_

#include <cmath>

namespace kldkit {
namespace detail {

// A plain double sum loses about n * 2^-53 relative precision; at 10^9
// tokens that is ~1e-7, enough to move a printed digit of a cancelling
// quantity (var = sum2/n - mean^2). Neumaier's variant keeps the rounding
// error of every addition in `compensation_`, so the result is within a few
// ulps of the exact sum regardless of n, and two partial sums merge without
// losing it. Not thread-safe.
class CompensatedSum {
 public:
  CompensatedSum() = default;
  CompensatedSum(double sum, double compensation)
      : sum_(sum), compensation_(compensation) {}

  void Add(double x) {
    const double t = sum_ + x;
    if (std::fabs(sum_) >= std::fabs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }

  // Adds another partial sum: its running sum as a term, its compensation
  // directly (the two are independent error terms).
  void Merge(const CompensatedSum& other) {
    Add(other.sum_);
    compensation_ += other.compensation_;
  }

  double Value() const { return sum_ + compensation_; }
  double RawSum() const { return sum_; }
  double Compensation() const { return compensation_; }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_COMPENSATED_SUM_H_
