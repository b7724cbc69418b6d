/*
 * icp-report: minimum detectable effect and sample still needed, in closed
 * form on the arcsine scale of power.h.
 */

#include <math.h>

#include "report/power.h"


void
rpt_power(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv,
    double z_alpha, double z_power, rpt_power_t *pw)
{
    double  pc, pv, h, c, grow, inv;

    pw->mde_abs = NAN;
    pw->mde_rel = NAN;
    pw->total_c = NAN;
    pw->total_v = NAN;
    pw->more_c = NAN;
    pw->more_v = NAN;

    if (nc == 0 || nv == 0 || xc > nc || xv > nv) {
        return;
    }

    pc = (double) xc / nc;
    pv = (double) xv / nv;
    inv = 1.0 / nc + 1.0 / nv;
    h = (z_alpha + z_power) * sqrt(inv);

    /*
     * the rate whose arcsine is h/2 above the control's c, if there is
     * one: sin^2(c + h/2) - sin^2(c) = sin(2c + h/2) sin(h/2), which does
     * not subtract the two
     */
    c = asin(sqrt(pc));

    if (c + h / 2 <= M_PI_2) {
        pw->mde_abs = sin(2 * c + h / 2) * sin(h / 2);
        pw->mde_rel = (pc > 0) ? pw->mde_abs / pc : NAN;
    }

    /* n grows by a factor for h to shrink by its square root */
    h = fabs(2 * asin(sqrt(pv)) - 2 * asin(sqrt(pc)));
    grow = (z_alpha + z_power) * (z_alpha + z_power) * inv / (h * h);

    pw->total_c = grow * nc;
    pw->total_v = grow * nv;
    pw->more_c = fmax(0, ceil(pw->total_c) - nc);
    pw->more_v = fmax(0, ceil(pw->total_v) - nv);
}
