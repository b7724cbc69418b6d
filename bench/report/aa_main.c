/*
 * make bench-aa: the A/A simulation of aa_sim.h with its defaults, or with
 * EXPERIMENTS LOOKS BATCH RATE TAU2 SEED from the command line, printing
 * the false-positive rate of each test.
 */

#include <stdio.h>
#include <stdlib.h>

#include "aa_sim.h"


int
main(int argc, char **argv)
{
    aa_conf_t    c;
    aa_result_t  r;

    aa_default(&c);

    if (argc != 1 && argc != 7) {
        fprintf(stderr, "usage: %s [EXPERIMENTS LOOKS BATCH RATE TAU2 SEED]\n",
                argv[0]);
        return 2;
    }

    if (argc == 7) {
        c.experiments = (unsigned) strtoul(argv[1], NULL, 10);
        c.looks = (unsigned) strtoul(argv[2], NULL, 10);
        c.batch = (unsigned) strtoul(argv[3], NULL, 10);
        c.rate = strtod(argv[4], NULL);
        c.tau2 = strtod(argv[5], NULL);
        c.seed = strtoull(argv[6], NULL, 10);
    }

    if (c.experiments == 0) {
        fprintf(stderr, "%s: no experiments\n", argv[0]);
        return 2;
    }

    printf("A/A: %u experiments, rate %g, %u looks of %u visitors per arm "
           "(%u in all), alpha %g, tau2 %g, seed %llu\n",
           c.experiments, c.rate, c.looks, c.batch, c.looks * c.batch,
           c.alpha, c.tau2, (unsigned long long) c.seed);

    aa_run(&c, &r);

    printf("%-34s %9s %9s\n", "false positives", "any look", "last look");
    printf("%-34s %8.1f%% %8.1f%%\n", "fixed-horizon z-test",
           100.0 * r.fixed / c.experiments,
           100.0 * r.fixed_last / c.experiments);
    printf("%-34s %8.1f%% %8.1f%%\n", "sequential mSPRT (always-valid p)",
           100.0 * r.seq / c.experiments,
           100.0 * r.seq_last / c.experiments);

    return 0;
}
