// File: growth.h
//
// GrowthEstimate: how fast a series of (time, bytes) points grows, and how
// sure we are, robust to the outliers that garbage collection and
// jemalloc's sampling put into heap snapshots.
//
// Slope: Theil-Sen, the median of the slopes of all pairs of points
// (i < j): (y_j - y_i) / (t_j - t_i). It tolerates up to ~29% outliers,
// unlike least squares, which one late GC or one lucky sample can swing.
//
// Confidence interval (Sen 1968; Hollander & Wolfe, "Nonparametric
// Statistical Methods", ch. 9): with N pairwise slopes sorted and Kendall's
// S statistic variance var(S) = n(n-1)(2n+5)/18, let
// C = z_(1-alpha/2) * sqrt(var(S)); the interval is the slopes of rank
// M1 = (N - C)/2 and M2 = (N + C)/2 + 1 (1-based), at 95% by default.
//
// Sampling noise: jemalloc samples a site's bytes; a site whose snapshot
// held k sampled objects has a relative standard error of about 1/sqrt(k)
// (Poisson). Each point's noise sd_i = y_i / sqrt(max(k_i, 1)) widens the
// interval: the slope's sampling standard error, propagated through the
// endpoints of the window, is sqrt(sd_first^2 + sd_last^2) / (t_last -
// t_first), added in quadrature to the half-widths of the rank interval.
//
// Trend test: Mann-Kendall. S = sum over i<j of sign(y_j - y_i); z =
// (S - sign(S)) / sqrt(var(S)); the one-sided p-value for "increasing" is
// 1 - Phi(z). monotonicity = S / (n(n-1)/2) (Kendall's tau-a, in [-1, 1]).
//
// R^2 of the least-squares fit is reported for people used to it, not
// used in the verdict.

#ifndef JLEAK_HARNESS_ANALYZE_GROWTH_H_
#define JLEAK_HARNESS_ANALYZE_GROWTH_H_

#include <cstddef>
#include <vector>

namespace jleak {

struct GrowthEstimate {
  int points = 0;
  double slope = 0;      // bytes per second (or per snapshot)
  double slope_low = 0;  // confidence interval of the slope
  double slope_high = 0;
  double intercept = 0;     // median(y - slope * t), Theil-Sen style
  double growth = 0;        // slope * (t_last - t_first): fitted growth
  double first = 0;         // y at the first point
  double last = 0;          // y at the last point
  double monotonicity = 0;  // Kendall's tau-a
  double p_value = 1;       // Mann-Kendall, one-sided, increasing
  double r_squared = 0;
};

// EstimateGrowth fits `y` against `t` (same length, t strictly
// increasing). `noise_sd`, if not empty, is each point's sampling standard
// deviation (same length). Fewer than 3 points gives points < 3 and a zero
// slope with an unbounded interval (slope_low = -inf, slope_high = +inf).
GrowthEstimate EstimateGrowth(const std::vector<double>& t,
                              const std::vector<double>& y,
                              const std::vector<double>& noise_sd = {},
                              double confidence = 0.95);

// ThinForFit: which of the points at strictly increasing times `t` a fit
// uses when the series is long. A fit costs O(n^2) in its points (every
// pair's slope), so a series of thousands of snapshots (a snapshot every
// few minutes for days) is thinned to at most `max_points`: the points of
// the first and last `edge_seconds` of the series, where a leak's onset and
// its latest rate show (thinned evenly in time only if they alone exceed
// half of `max_points`), and the points between them evenly in time. The
// first and last points are always kept, so the fitted window is the same.
// Returns indices into `t`, ascending; all of them when
// t.size() <= max_points or max_points == 0.
std::vector<size_t> ThinForFit(const std::vector<double>& t, size_t max_points,
                               double edge_seconds);

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_GROWTH_H_
