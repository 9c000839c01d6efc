"""The mechanism the article credits, internal covariate shift (ICS), as claims from the two
papers the debate rests on: Ioffe & Szegedy (2015, section 4.1, Figure 1) and Santurkar, Tsipras,
Ilyas & Madry (2018, "How Does Batch Normalization Help Optimization?", sections 2-3).

Their own family (``family="ics"``): own scale (steps, probed; fixtures/training/ics/scales.py),
own runs, own Holm. The network is Ioffe & Szegedy's MNIST net: three fully connected hidden
layers of 100 sigmoid units, BN before each nonlinearity, mini-batches of 60. What the paper
leaves out is declared here, with the reason:

- optimizer and learning rate: the article's (SGD, momentum 0.9, Nesterov, rate 0.01), so the
  family differs from the article's claims only in what the paper fixes;
- initialisation: Keras's default (glorot_uniform kernels, zero biases), the article's too;
- noisy BN (Santurkar et al.): after each BN, every unit is scaled by s ~ U(1, 2) and shifted by
  m ~ U(-1, 1), redrawn every step (fixtures/training/bn_noise.py): a unit's mean moved by up to
  one of its own SDs and its SD up to doubled, at every step, the size of the distribution itself;
- step sizes of the smoothness probe: 0.01 to 1 (fixtures/training/ics/record.py ``ETAS``);
- learning rates for the largest-rate claim: half-decades from 0.01 to 10.

IS2, ST2 and ST3 are also read on the article's own net (IS2a, ST2a, ST3a: 512-256-128-64 sigmoid,
batch 128, BN after each activation as the article's code has it), the net whose speed-up the
article credits to reduced ICS; same words, metrics, tests and margins, same steps.

Chosen before any claim was judged (a cost measurement of one seed at 5,000 steps with these
values, 2026-11-30, came first; nothing was changed after it).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from fixtures.claims import margins
from fixtures.claims.claim import Claim, Expectation, band_around, claim_params
from fixtures.claims.conjunction import all_of
from fixtures.claims.mechanism import (
    log10_largest_stable_rate,
    log_beta_smoothness,
    log_gradient_shift,
    log_loss_range,
    log_percentile_drift,
    stable,
    trains,
)
from fixtures.claims.metrics import final_test_accuracy, mean_test_accuracy, per_seed
from fixtures.stats import directional, equivalence
from fixtures.training.models import ModelConfig

IS_WIDTHS = (100, 100, 100)
# The article's own net (4 sigmoid layers 512-256-128-64, batch 128), BN after each activation as
# the article's code puts it: the claims about the mechanism (IS2, ST2, ST3) are also read on it,
# since it is the net whose speed-up the article credits to reduced ICS.
ARTICLE_PLAIN, ARTICLE_BN = ModelConfig("sigmoid", 0, "sgd", 128), ModelConfig("sigmoid", 4, "sgd", 128)
PLAIN = ModelConfig("sigmoid", 0, "sgd", 60, hidden_units=IS_WIDTHS)
BN = replace(PLAIN, bn_layers=3, bn_position="before")
NOISY = replace(BN, noise_shift=1.0, noise_scale=2.0)
RATES = (0.01, 0.0316, 0.1, 0.316, 1.0, 3.16, 10.0)
IS_PAPER = "Ioffe & Szegedy 2015, MNIST net"
ST_PAPER = "Santurkar et al. 2018"
BOTH_LEARN = ("both nets must have learnt (test accuracy at least 0.5 at the last probe): the papers "
              "compare trained networks; a net still at chance has no training to compare")
PAIRED = ("paired one-sided t-test of per-seed values (same seed: same initial Dense weights and "
          "batch order)")


def at_rate(config: ModelConfig, rate: float) -> ModelConfig:
    """``config`` trained at ``rate`` (the article's 0.01 is the configuration itself)."""
    return config if rate == 0.01 else replace(config, learning_rate=rate)


def _compare(metric, a, b, *, alternative, margin=0.0):
    def test(runs, alpha=0.05):
        return directional(per_seed(runs.seeds(a), metric), per_seed(runs.seeds(b), metric),
                           alternative=alternative, paired=True, margin=margin, alpha=alpha,
                           labels=(a.label, b.label))
    return test


def _higher_sooner(runs):
    return all_of(
        ("final test accuracy", _compare(final_test_accuracy, BN, PLAIN, alternative="greater")(runs)),
        ("mean test accuracy over the probes", _compare(mean_test_accuracy, BN, PLAIN, alternative="greater")(runs)),
    )


def _noisy_as_well(runs):
    noisy, bn, plain = (per_seed(runs.seeds(c), final_test_accuracy) for c in (NOISY, BN, PLAIN))
    return all_of(
        ("noisy vs plain BN: final test accuracy", equivalence(
            noisy, bn, margin=margins.SIMILAR_ACCURACY, paired=True, labels=(NOISY.label, BN.label))),
        ("noisy BN vs no BN: final test accuracy", directional(
            noisy, plain, alternative="greater", paired=True, margin=margins.MUCH_ACCURACY,
            labels=(NOISY.label, PLAIN.label))),
    )


def _smoother(bn, plain):
    def evaluate(runs):
        return all_of(
            ("loss range along the gradient (log ratio)", _compare(log_loss_range, bn, plain, alternative="less")(runs)),
            ("effective beta-smoothness (log ratio)", _compare(log_beta_smoothness, bn, plain, alternative="less")(runs)),
        )
    return evaluate


def _larger_rates(rule):
    def evaluate(runs):
        def largest(config):
            by_rate = {rate: runs.seeds(at_rate(config, rate)) for rate in RATES}
            return [log10_largest_stable_rate({rate: seeds[i] for rate, seeds in by_rate.items()}, rule)
                    for i in range(len(by_rate[RATES[0]]))]
        return directional(largest(BN), largest(PLAIN), alternative="greater", paired=True,
                           labels=(BN.label, PLAIN.label))
    return evaluate


IS1 = Claim(
    id="IS1",
    family="ics",
    experiment=f"{IS_PAPER}: Figure 1(a)",
    english="The network with batch normalization reaches higher test accuracy, and sooner, than "
            "the one without (MNIST, 3 x 100 sigmoid units, BN before each nonlinearity, batches of 60).",
    turkish="",
    metric="final test accuracy (at the last probe) AND the mean test accuracy over the probes (the area "
           "under the accuracy curve: 'sooner')",
    test=f"{PAIRED}; both parts must be supported",
    margin="0: the paper says higher and sooner, not by how much",
    needs=(BN, PLAIN), must_learn=(BN, PLAIN), validity=BOTH_LEARN,
    evaluate=_higher_sooner,
    expected={
        'article': Expectation('supported', 'measured 2026-12-07, 6 seeds: supported, headline part final test accuracy: difference +0.005133 (95% CI [+0.003448, +0.006819])', part='final test accuracy', effect=0.00513333, band=band_around(0.00344813, 0.00681854)),
        'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part final test accuracy: difference +0.02187 (95% CI [+0.01764, +0.02609])', part='final test accuracy', effect=0.0218667, band=band_around(0.0176412, 0.0260921)),
    },
)
IS2 = Claim(
    id="IS2",
    family="ics",
    experiment=f"{IS_PAPER}: Figure 1(b, c)",
    english="The distribution of a typical sigmoid's input in the last hidden layer (its 15th, 50th "
            "and 85th percentiles) changes much less over training with batch normalization than without.",
    turkish="",
    metric=("percentile drift = mean over the last hidden layer's 100 units and the three levels of "
            "|percentile at the last probe - at the first probe from step 1,000| over the first 1,000 "
            "test images, in the sigmoid's input units; compared as the log ratio BN / no BN. From step "
            "1,000 because the inference-mode probe reads BN's moving averages, which lag before it"),
    test=PAIRED,
    margin=(f"'much less': BN's drift below {margins.MUCH_LOSS_RATIO:.0%} of the drift without BN, the "
            "suite's one reading of 'much' on a ratio scale (fixtures/claims/margins.py). Close to "
            "arithmetic: BN fixes each unit's batch mean and SD up to its gamma and beta, so what is "
            "measured is whether gamma, beta and the distribution's shape move less than the raw "
            "pre-activation does"),
    needs=(BN, PLAIN), must_learn=(BN, PLAIN), validity=BOTH_LEARN,
    evaluate=_compare(log_percentile_drift, BN, PLAIN, alternative="less",
                      margin=margins.log_margin(margins.MUCH_LOSS_RATIO)),
    expected={
        'article': Expectation('supported', 'measured 2026-12-07, 6 seeds: supported, headline part effect: difference -0.4203 (95% CI [-0.4874, -0.3533])', part='', effect=-0.420316, band=band_around(-0.487381, -0.35325)),
        'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part effect: difference -0.6239 (95% CI [-0.7494, -0.4983])', part='', effect=-0.623867, band=band_around(-0.749399, -0.498335)),
    },
)
ST1 = Claim(
    id="ST1",
    family="ics",
    experiment=f"{ST_PAPER}: noisy BN (section 2.1)",
    english="With random, time-varying noise of non-zero mean and non-unit variance added after each "
            "BN layer, the network still trains about as well as with plain BN, and clearly better "
            "than without BN.",
    turkish="",
    metric="final test accuracy (at the last probe)",
    test=("paired TOST, noisy vs plain BN (same seed: same initial weights), AND a paired one-sided "
          "t-test, noisy BN vs no BN; both must be supported"),
    margin=(f"'about as well': within {margins.SIMILAR_ACCURACY * 100:g} point; 'clearly better': more "
            f"than {margins.MUCH_ACCURACY * 100:g} points (the suite's 'similar' and 'much' margins for "
            "accuracy, fixtures/claims/margins.py)"),
    needs=(NOISY, BN, PLAIN), must_learn=(NOISY, BN, PLAIN),
    validity="all three nets must have learnt: 'trains as well' compares trained networks",
    evaluate=_noisy_as_well,
    expected={
        'article': Expectation('refuted', 'measured 2026-12-07, 6 seeds: refuted, decided by noisy BN vs no BN: final test accuracy: difference +0.002683 (95% CI [+0.0002871, +0.00508])', part='noisy BN vs no BN: final test accuracy', effect=0.00268333, band=band_around(0.000287109, 0.00507956)),
        'ci': Expectation('refuted', 'measured 2026-11-30, 12 seeds: refuted, decided by noisy BN vs no BN: final test accuracy: difference +0.01509 (95% CI [+0.01287, +0.01731])', part='noisy BN vs no BN: final test accuracy', effect=0.0150917, band=band_around(0.0128692, 0.0173141)),
    },
)
ST2 = Claim(
    id="ST2",
    family="ics",
    experiment=f"{ST_PAPER}: ICS measured (section 2.2)",
    english="Batch normalization does not reduce internal covariate shift, measured as the change of a "
            "layer's gradient when the layers before it are updated: with BN it is similar, or even larger.",
    turkish="",
    metric=("ICS of each Dense layer after the first = ||G - G'|| / ||G||, G the layer's gradient on the "
            "step's batch, G' the same after the preceding layers took that step; mean over probes and "
            "layers, compared as the log ratio BN / no BN (the cosine is shown in the figures; near 1 "
            "at these steps, it sits at a ceiling)"),
    test=f"{PAIRED}, non-inferiority: BN's ICS is not below the net's without BN by more than the margin",
    margin=(f"'not reduced': BN's ICS above 1/{margins.SIMILAR_LOSS_RATIO:g} of the ICS without BN (the "
            "suite's 'similar' ratio, fixtures/claims/margins.py): similar or larger, as the paper says"),
    needs=(BN, PLAIN), must_learn=(BN, PLAIN), validity=BOTH_LEARN,
    evaluate=_compare(log_gradient_shift, BN, PLAIN, alternative="greater",
                      margin=-margins.log_margin(margins.SIMILAR_LOSS_RATIO)),
    expected={
        'article': Expectation('supported', 'measured 2026-12-07, 6 seeds: supported, headline part effect: difference +1.075 (95% CI [+0.9068, +1.242])', part='', effect=1.07465, band=band_around(0.906842, 1.24246)),
        'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part effect: difference +1.28 (95% CI [+1.208, +1.352])', part='', effect=1.27969, band=band_around(1.20766, 1.35173)),
    },
)
ST3 = Claim(
    id="ST3",
    family="ics",
    experiment=f"{ST_PAPER}: smoothness (section 3.1)",
    english="Along the gradient direction the loss and the gradient vary less with batch normalization: "
            "the loss landscape is smoother (smaller loss range, smaller effective beta-smoothness).",
    turkish="",
    metric=("at each probe, step from the weights along -g by eta in 0.01..1 on the step's batch: the "
            "loss range (max - min) and the effective beta-smoothness (max ||grad change|| / (eta ||g||)); "
            "each averaged over the probes, compared as log ratios BN / no BN. Both nets are read at "
            "the same steps, not at the same loss: the BN net, further along, may sit in a flatter "
            "region for that reason"),
    test=f"{PAIRED}; both parts must be supported",
    margin="0: the paper says smoother, not by how much",
    needs=(BN, PLAIN), must_learn=(BN, PLAIN), validity=BOTH_LEARN,
    evaluate=_smoother(BN, PLAIN),
    expected={
        'article': Expectation('refuted', 'measured 2026-12-07, 6 seeds: refuted, decided by effective beta-smoothness (log ratio): difference +1.015 (95% CI [+0.8581, +1.171])', part='effective beta-smoothness (log ratio)', effect=1.01462, band=band_around(0.858128, 1.17112)),
        'ci': Expectation('refuted', 'measured 2026-11-30, 6 seeds: refuted, decided by effective beta-smoothness (log ratio): difference +0.9169 (95% CI [+0.7521, +1.082])', part='effective beta-smoothness (log ratio)', effect=0.916908, band=band_around(0.752115, 1.0817)),
    },
)
LR1 = Claim(
    id="LR1",
    family="ics",
    experiment=f"{ST_PAPER}; Bjorck et al. 2018: larger learning rates",
    english="The largest learning rate at which training does not diverge is higher with batch normalization.",
    turkish="",
    metric=("per seed, the largest rate of the grid 0.01, 0.0316, ..., 10 whose run is stable (every "
            "loss finite and the last interval's mean training loss below the first step's loss), as "
            "log10; half a decade below the grid when none is. A net stable at 10 is counted at 10: "
            "then the difference is a lower bound"),
    test=PAIRED,
    margin="0: the claim says higher, not by how much",
    needs=tuple(at_rate(config, rate) for config in (BN, PLAIN) for rate in RATES),
    validity=("none needed: a run that diverges is the datum here, not a net that failed to start; "
              "both nets are trained the family's full budget at every rate"),
    evaluate=_larger_rates(stable),
    expected={
        'article': Expectation('inconclusive', 'measured 2026-12-07, 10 seeds: inconclusive, decided by effect: difference +0 (95% CI [+0, +0])', part='', effect=0, band=band_around(0, 0)),
        'ci': Expectation('inconclusive', 'measured 2026-11-30, 12 seeds: inconclusive, decided by effect: difference +0 (95% CI [+0, +0])', part='', effect=0, band=band_around(0, 0)),
    },
)


# A second reading of "does not diverge", added after LR1's ci run (2026-11-30) and so not a
# pre-registered test at ci: there LR1's rule counted the net without BN at rate 3.16 as stable
# in every seed though it sat at chance (test accuracy 0.10, last training loss 2.36), because
# its first loss (2.54, Keras's default init) lies above chance and "ended below its first loss"
# is then met by falling to chance. Its first pre-registered judgement is at the papers' scale.
LR1t = replace(
    LR1, id="LR1t",
    experiment=LR1.experiment + " (read: still trains)",
    metric=LR1.metric.replace("the last interval's mean training loss below the first step's loss",
                              "the last interval's mean training loss below chance, ln 10"),
    margin=LR1.margin + ". A reading added after LR1's ci run showed its rule passing a net at chance "
                        "(not pre-registered at ci; first pre-registered at the papers' scale)",
    evaluate=_larger_rates(trains),
    expected={
        'article': Expectation('supported', 'measured 2026-12-07, 6 seeds: supported, headline part effect: difference +0.6665 (95% CI [+0.3953, +0.9376])', part='', effect=0.666458, band=band_around(0.395325, 0.937591)),
        'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part effect: difference +1 (95% CI [+1, +1])', part='', effect=1, band=band_around(1, 1)),
    },
)


def on_article_net(claim: Claim, evaluate, expected: dict) -> Claim:
    """``claim`` read on the article's net (id + "a"): same words, metric, test and margin; its
    own evaluation and pins."""
    return replace(claim, id=claim.id + "a", experiment=claim.experiment + ", on the article's net",
                   needs=(ARTICLE_BN, ARTICLE_PLAIN), must_learn=(ARTICLE_BN, ARTICLE_PLAIN), evaluate=evaluate,
                   expected=expected)


IS2a = on_article_net(IS2, _compare(log_percentile_drift, ARTICLE_BN, ARTICLE_PLAIN, alternative="less",
                                    margin=margins.log_margin(margins.MUCH_LOSS_RATIO)), {
    'article': Expectation('supported', 'measured 2026-12-07, 3 seeds: supported, headline part effect: difference -2.08 (95% CI [-2.209, -1.951])', part='', effect=-2.07987, band=band_around(-2.20852, -1.95122)),
    'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part effect: difference -1.908 (95% CI [-2.11, -1.707])', part='', effect=-1.9081, band=band_around(-2.10964, -1.70655)),
})
ST2a = on_article_net(ST2, _compare(log_gradient_shift, ARTICLE_BN, ARTICLE_PLAIN, alternative="greater",
                                    margin=-margins.log_margin(margins.SIMILAR_LOSS_RATIO)), {
    'article': Expectation('inconclusive', 'measured 2026-12-07, 10 seeds: inconclusive, decided by effect: difference -0.1023 (95% CI [-0.3069, +0.1023])', part='', effect=-0.102321, band=band_around(-0.30691, 0.102267)),
    'ci': Expectation('supported', 'measured 2026-11-30, 6 seeds: supported, headline part effect: difference +1.144 (95% CI [+0.8925, +1.395])', part='', effect=1.14388, band=band_around(0.892493, 1.39526)),
})
ST3a = on_article_net(ST3, _smoother(ARTICLE_BN, ARTICLE_PLAIN), {
    'article': Expectation('supported', 'measured 2026-12-07, 6 seeds: supported, headline part loss range along the gradient (log ratio): difference -2.729 (95% CI [-3.156, -2.302])', part='loss range along the gradient (log ratio)', effect=-2.72905, band=band_around(-3.15577, -2.30234)),
    'ci': Expectation('refuted', 'measured 2026-11-30, 3 seeds: refuted, decided by effective beta-smoothness (log ratio): difference +0.9997 (95% CI [+0.9939, +1.006])', part='effective beta-smoothness (log ratio)', effect=0.999749, band=band_around(0.993948, 1.00555)),
})


@pytest.mark.parametrize("claim", claim_params(IS1, IS2, ST1, ST2, ST3, LR1, LR1t, IS2a, ST2a, ST3a))
def test_mechanism(claim, judge):
    judge(claim)
