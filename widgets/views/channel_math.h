#pragma once
// Per-channel numbers the channel inspector shows, computed exactly as METHODS.md defines CWD:
// p = softmax over the H*W positions of y/tau, and KL(p_T || p_S) with the student side in log space.

#include <cstddef>
#include <vector>

namespace distillery {

/** softmax(x / tau) over n values, in double precision (max-subtracted, so large activations are safe). */
std::vector<double> spatialSoftmax(const float* x, size_t n, double tau);

/** KL(p_T || p_S) of the spatial softmaxes at tau; terms with p_T = 0 contribute 0. */
double spatialKl(const float* teacher, const float* student, size_t n, double tau);

/** True when every value equals the first (a dead or saturated channel); an empty plane is constant. */
bool isConstantPlane(const float* x, size_t n);

/** Min and max over n values, NaN ignored; {0, 0} when there is none. */
void planeRange(const float* x, size_t n, float& lo, float& hi);

/** Bilinear resize (align_corners = false, as the engine's resize) of each of c planes h x w to oh x ow. */
std::vector<float> resizePlanes(const float* x, int c, int h, int w, int oh, int ow);

}  // namespace distillery
