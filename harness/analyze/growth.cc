// File: growth.cc
//
// Theil-Sen slope, its rank confidence interval, sampling-noise widening
// and the Mann-Kendall trend test (see growth.h for the maths).

#include "harness/analyze/growth.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace jleak {
namespace {

// MedianInPlace: the median of `v`, whose order it changes.
double MedianInPlace(std::vector<double>& v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + mid);
  return (lo + hi) / 2;
}

double Median(std::vector<double> v) { return MedianInPlace(v); }

// Evenly in time: about `k` indices of [lo, hi] (inclusive, both kept),
// appended to `out` in ascending order.
void PickEvenly(const std::vector<double>& t, size_t lo, size_t hi, size_t k,
                std::vector<size_t>* out) {
  if (hi < lo) return;
  if (k >= hi - lo + 1) {
    for (size_t i = lo; i <= hi; ++i) out->push_back(i);
    return;
  }
  if (k == 0) return;
  const double from = t[lo], to = t[hi];
  for (size_t j = 0; j < k; ++j) {
    const double target =
        k == 1 ? from : from + (to - from) * static_cast<double>(j) / (k - 1);
    size_t i = static_cast<size_t>(
        std::lower_bound(t.begin() + lo, t.begin() + hi + 1, target) -
        t.begin());
    i = std::min(i, hi);
    if (out->empty() || out->back() < i) out->push_back(i);
  }
}

// Standard normal upper-tail probability.
double NormalUpperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// Inverse of the standard normal CDF by bisection on erfc: exact enough
// for confidence levels and cheap (called once per estimate).
double NormalQuantile(double p) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    if (1 - NormalUpperTail(mid) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

double RSquared(const std::vector<double>& t, const std::vector<double>& y) {
  const size_t n = t.size();
  double mt = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mt += t[i];
    my += y[i];
  }
  mt /= n;
  my /= n;
  double sty = 0, stt = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sty += (t[i] - mt) * (y[i] - my);
    stt += (t[i] - mt) * (t[i] - mt);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (stt == 0 || syy == 0) return 0;
  return (sty * sty) / (stt * syy);
}

}  // namespace

GrowthEstimate EstimateGrowth(const std::vector<double>& t,
                              const std::vector<double>& y,
                              const std::vector<double>& noise_sd,
                              double confidence) {
  GrowthEstimate g;
  const size_t n = std::min(t.size(), y.size());
  g.points = static_cast<int>(n);
  if (n > 0) {
    g.first = y.front();
    g.last = y[n - 1];
  }
  if (n < 3) {
    g.slope_low = -std::numeric_limits<double>::infinity();
    g.slope_high = std::numeric_limits<double>::infinity();
    return g;
  }

  std::vector<double> slopes;
  slopes.reserve(n * (n - 1) / 2);
  long long s = 0;  // Mann-Kendall S
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const double dt = t[j] - t[i];
      if (dt > 0) slopes.push_back((y[j] - y[i]) / dt);
      s += (y[j] > y[i]) - (y[j] < y[i]);
    }
  }
  if (slopes.empty()) {
    // Every snapshot at one time (a crafted timeline; t should increase):
    // no rate can be fitted, so none is claimed.
    g.slope_low = -std::numeric_limits<double>::infinity();
    g.slope_high = std::numeric_limits<double>::infinity();
    return g;
  }
  // Order statistics by selection, not a full sort: O(pairs) each, and
  // exactly the values a sort would put at those ranks.
  g.slope = MedianInPlace(slopes);
  std::vector<double> residual(n);
  for (size_t i = 0; i < n; ++i) residual[i] = y[i] - g.slope * t[i];
  g.intercept = Median(residual);
  const double span = t[n - 1] - t[0];
  g.growth = g.slope * span;

  const double nd = static_cast<double>(n);
  const double var_s = nd * (nd - 1) * (2 * nd + 5) / 18;
  const double pairs = nd * (nd - 1) / 2;
  g.monotonicity = s / pairs;
  const double z_trend = s == 0 ? 0 : (s - (s > 0 ? 1 : -1)) / std::sqrt(var_s);
  g.p_value = NormalUpperTail(z_trend);

  // Rank interval of the slopes (1-based ranks M1, M2 -> 0-based index).
  const double z = NormalQuantile(1 - (1 - confidence) / 2);
  const double c = z * std::sqrt(var_s);
  const double big_n = static_cast<double>(slopes.size());
  const long long m1 = static_cast<long long>(std::floor((big_n - c) / 2));
  const long long m2 = static_cast<long long>(std::ceil((big_n + c) / 2)) + 1;
  const auto at = [&](long long rank) {
    rank =
        std::clamp<long long>(rank, 1, static_cast<long long>(slopes.size()));
    auto kth = slopes.begin() + (rank - 1);
    std::nth_element(slopes.begin(), kth, slopes.end());
    return *kth;
  };
  double half_low = g.slope - at(m1);
  double half_high = at(m2) - g.slope;

  if (noise_sd.size() == n && span > 0) {
    const double se = std::sqrt(noise_sd[0] * noise_sd[0] +
                                noise_sd[n - 1] * noise_sd[n - 1]) /
                      span;
    half_low = std::sqrt(half_low * half_low + (z * se) * (z * se));
    half_high = std::sqrt(half_high * half_high + (z * se) * (z * se));
  }
  g.slope_low = g.slope - half_low;
  g.slope_high = g.slope + half_high;
  g.r_squared = RSquared(std::vector<double>(t.begin(), t.begin() + n),
                         std::vector<double>(y.begin(), y.begin() + n));
  return g;
}

std::vector<size_t> ThinForFit(const std::vector<double>& t, size_t max_points,
                               double edge_seconds) {
  const size_t n = t.size();
  std::vector<size_t> out;
  if (max_points == 0 || n <= max_points) {
    for (size_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  max_points = std::max<size_t>(max_points, 3);
  // The last index of the first edge_seconds, the first of the last.
  size_t head_end = 0;
  while (head_end + 1 < n && t[head_end + 1] <= t[0] + edge_seconds) {
    ++head_end;
  }
  size_t tail_begin = n - 1;
  while (tail_begin > 0 && t[tail_begin - 1] >= t[n - 1] - edge_seconds) {
    --tail_begin;
  }
  if (head_end + 1 >= tail_begin) {
    // The edges meet: the whole series is "edge".
    PickEvenly(t, 0, n - 1, max_points, &out);
    return out;
  }
  const size_t edge_budget = max_points / 4;
  const size_t head_k =
      std::min(head_end + 1, std::max<size_t>(edge_budget, 1));
  const size_t tail_k =
      std::min(n - tail_begin, std::max<size_t>(edge_budget, 1));
  const size_t middle_k = max_points - head_k - tail_k;
  PickEvenly(t, 0, head_end, head_k, &out);
  std::vector<size_t> middle;
  PickEvenly(t, head_end + 1, tail_begin - 1, middle_k, &middle);
  for (size_t i : middle) {
    if (out.empty() || out.back() < i) out.push_back(i);
  }
  std::vector<size_t> tail;
  PickEvenly(t, tail_begin, n - 1, tail_k, &tail);
  for (size_t i : tail) {
    if (out.empty() || out.back() < i) out.push_back(i);
  }
  return out;
}

}  // namespace jleak
