# Reference values of the Kaplan-Meier curve with the cluster-robust (infinitesimal-jackknife)
# standard error, from R's survival::survfit(..., cluster =, robust = TRUE), and Greenwood's,
# at 2, 3, 5 and 15 patients, for tests/test_survival.py; with the logit interval of the robust
# curve (conf.type = "logit") and the Bell-McCaffrey df of a clustered share on those patients
# (clubSandwich CR2, intercept only: it depends on the patients' numbers of units alone).
#
# Run from the repository root:  Rscript tests/reference/make_km_r.R
# Writes tests/reference/km_r_data.csv and tests/reference/km_r.json. R 4.2, survival, jsonlite,
# clubSandwich.
suppressMessages({library(survival); library(jsonlite); library(clubSandwich)})
set.seed(1117)

make_data <- function(name, sizes) {
  G <- length(sizes)
  patient <- rep(seq_len(G), sizes)
  frailty <- rgamma(G, 1, 1)[patient]
  t_event <- ceiling(rexp(length(patient), frailty / 24))  # whole hours: ties
  t_cens <- ceiling(runif(length(patient), 0, 96))
  data.frame(dataset = name, patient = paste0("P", patient), time = pmin(t_event, t_cens),
             event = as.integer(t_event <= t_cens))
}

sets <- list(make_data("k2", c(3, 4)), make_data("k3", c(5, 2, 6)),
             make_data("k5", c(2, 4, 1, 6, 3)), make_data("k15", sample(1:4, 15, replace = TRUE)))
data <- do.call(rbind, sets)
write.csv(data, "tests/reference/km_r_data.csv", row.names = FALSE)

out <- list()
for (s in sets) {
  robust <- survfit(Surv(time, event) ~ 1, data = s, cluster = patient, robust = TRUE)
  naive <- survfit(Surv(time, event) ~ 1, data = s)
  # Greenwood: survfit's std.err is that of -log S (the cumulative hazard), so times S it is
  # that of S. With robust = TRUE (survival 3.5) std.err is already that of S: its own "log"
  # interval is S exp(-/+ z std.err / S) (checked on these data).
  stopifnot(isTRUE(all.equal(robust$lower[robust$surv < 1 & robust$surv > 0],
    with(robust, exp(log(surv) - qnorm(0.975) * std.err / surv))[robust$surv < 1 &
                                                                  robust$surv > 0])))
  logit <- survfit(Surv(time, event) ~ 1, data = s, cluster = patient, robust = TRUE,
                   conf.type = "logit")
  fit <- lm(event ~ 1, data = s)
  df_bm <- coef_test(fit, vcov = "CR2", cluster = s$patient, test = "Satterthwaite")$df_Satt
  out[[s$dataset[1]]] <- list(time = robust$time, surv = robust$surv,
                              se_robust = robust$std.err,
                              se_greenwood = naive$std.err * naive$surv,
                              n_risk = robust$n.risk,
                              logit_lower = logit$lower, logit_upper = logit$upper,
                              df_bm = df_bm)
}
writeLines(toJSON(out, digits = NA, pretty = TRUE), "tests/reference/km_r.json")
