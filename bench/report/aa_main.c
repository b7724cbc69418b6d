/*
 * make bench-aa: the simulation of aa_sim.h with its defaults, A/A (the
 * false-positive rates) and then with the variant 10% better (what the
 * always-valid p-value costs in power), or once with EXPERIMENTS LOOKS
 * BATCH RATE LIFT TAU2 SEED from the command line.
 */

#include <stdio.h>
#include <stdlib.h>

#include "aa_sim.h"


static void
aa_print(const aa_conf_t *c)
{
    aa_result_t  r;

    aa_run(c, &r);

    if (c->lift == 0) {
        printf("A/A: %u experiments, rate %g", c->experiments, c->rate);

    } else {
        printf("A/B: %u experiments, rate %g, variant's %+g%%",
               c->experiments, c->rate, 100 * c->lift);
    }

    printf(", %u looks of %u visitors per arm (%u in all), alpha %g, "
           "tau2 %g, seed %llu\n", c->looks, c->batch, c->looks * c->batch,
           c->alpha, c->tau2, (unsigned long long) c->seed);

    printf("  %-34s %9s %9s\n",
           c->lift == 0 ? "false positives" : "declared significant",
           "any look", "last look");
    printf("  %-34s %8.1f%% %8.1f%%\n", "fixed-horizon z-test",
           100.0 * r.fixed / c->experiments,
           100.0 * r.fixed_last / c->experiments);
    printf("  %-34s %8.1f%% %8.1f%%\n", "sequential mSPRT (always-valid p)",
           100.0 * r.seq / c->experiments,
           100.0 * r.seq_last / c->experiments);
}


int
main(int argc, char **argv)
{
    aa_conf_t  c;

    aa_default(&c);

    if (argc == 1) {
        aa_print(&c);
        c.lift = 0.1;
        aa_print(&c);
        return 0;
    }

    if (argc != 8) {
        fprintf(stderr,
                "usage: %s [EXPERIMENTS LOOKS BATCH RATE LIFT TAU2 SEED]\n",
                argv[0]);
        return 2;
    }

    c.experiments = (unsigned) strtoul(argv[1], NULL, 10);
    c.looks = (unsigned) strtoul(argv[2], NULL, 10);
    c.batch = (unsigned) strtoul(argv[3], NULL, 10);
    c.rate = strtod(argv[4], NULL);
    c.lift = strtod(argv[5], NULL);
    c.tau2 = strtod(argv[6], NULL);
    c.seed = strtoull(argv[7], NULL, 10);

    if (c.experiments == 0) {
        fprintf(stderr, "%s: no experiments\n", argv[0]);
        return 2;
    }

    aa_print(&c);

    return 0;
}
