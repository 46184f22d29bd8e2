# Reference values of the CR2 cluster-robust variance and Bell-McCaffrey (Satterthwaite)
# degrees of freedom, from R's clubSandwich, for tests/test_regression.py and
# tests/test_adjusted.py.
#
# Run from the repository root:  Rscript tests/reference/make_cr2_r.R
# Writes tests/reference/cr2_data.csv (the data sets) and tests/reference/cr2_r.json.
# R 4.2, clubSandwich 0.5.8, jsonlite.
suppressMessages({library(clubSandwich); library(jsonlite)})
set.seed(17)

make_data <- function(name, sizes, with_cov) {
  G <- length(sizes)
  patient <- rep(seq_len(G), sizes)
  n <- length(patient)
  u <- rnorm(G)[patient]
  a <- rbinom(n, 1, 0.5)
  # every arm has units of at least 2 patients
  while (length(unique(patient[a == 1])) < 2 || length(unique(patient[a == 0])) < 2)
    a <- rbinom(n, 1, 0.5)
  cond <- sample(c("acne", "melasma", "rosacea"), G, replace = TRUE)[patient]
  base <- round(runif(n, 2, 8), 1)
  y <- round(1 + 0.5 * a + 0.3 * base + (cond == "melasma") + u + rnorm(n), 3)
  yb <- rbinom(n, 1, plogis(-0.5 + 0.4 * a + 0.2 * (base - 5) + 0.5 * u))
  while (sum(yb[a == 1]) == 0 || sum(yb[a == 0]) == 0)
    yb <- rbinom(n, 1, plogis(-0.5 + 0.4 * a + 0.2 * (base - 5) + 0.5 * u))
  data.frame(dataset = name, patient = paste0("P", patient), a = a, cond = cond, base = base,
             y = y, yb = yb, with_cov = with_cov)
}

sets <- list(
  make_data("g2", c(3, 4), FALSE),
  make_data("g3", c(4, 7, 3), FALSE),
  make_data("g4", c(2, 5, 1, 3), FALSE),
  make_data("g5", c(2, 6, 3, 9, 4), TRUE),
  make_data("g12", c(1, 3, 2, 5, 4, 2, 7, 1, 3, 6, 2, 4), TRUE),
  make_data("g60", sample(1:5, 60, replace = TRUE), TRUE)
)
data <- do.call(rbind, sets)
write.csv(data, "tests/reference/cr2_data.csv", row.names = FALSE)

contrast_of <- function(fit, d, cvec) {
  lc <- linear_contrast(fit, vcov = "CR2", cluster = d$patient,
                        contrasts = matrix(cvec, nrow = 1), test = "Satterthwaite")
  V <- vcovCR(fit, cluster = d$patient, type = "CR2")
  # every unit its own cluster (HC2): the floor below 30 patients
  V1 <- vcovCR(fit, cluster = seq_len(nrow(d)), type = "CR2")
  list(estimate = sum(coef(fit) * cvec), se = sqrt(drop(t(cvec) %*% V %*% cvec)),
       se_units = sqrt(drop(t(cvec) %*% V1 %*% cvec)), df = lc$df)
}

gcomp <- function(fit, d) {
  d1 <- d; d1$a <- 1
  d0 <- d; d0$a <- 0
  tt <- delete.response(terms(fit))
  X1 <- model.matrix(tt, d1); X0 <- model.matrix(tt, d0)
  list(c1 = colMeans(X1), c0 = colMeans(X0))
}

out <- list()
for (s in sets) {
  name <- s$dataset[1]
  res <- list()
  # the intercept-only model (a mean) and y ~ a (a difference of means)
  for (form in c("y ~ 1", "yb ~ 1", "y ~ a", "yb ~ a")) {
    fit <- lm(as.formula(form), data = s)
    ct <- coef_test(fit, vcov = "CR2", cluster = s$patient, test = "Satterthwaite")
    ct1 <- coef_test(fit, vcov = "CR2", cluster = seq_len(nrow(s)), test = "Satterthwaite")
    res[[form]] <- list(coef = unname(coef(fit)),
                        vcov = unname(as.matrix(vcovCR(fit, cluster = s$patient, type = "CR2"))),
                        se = ct$SE, df = ct$df_Satt, se_units = ct1$SE, df_units = ct1$df_Satt,
                        X = unname(model.matrix(fit)))
  }
  forms <- c(crude = "y ~ a", crude_b = "yb ~ a")
  if (s$with_cov[1]) forms <- c(forms, adjusted = "y ~ a * (cond + base)",
                                adjusted_b = "yb ~ a * (cond + base)")
  for (k in names(forms)) {
    fit <- lm(as.formula(forms[[k]]), data = s)
    cc <- gcomp(fit, s)
    mu1 <- sum(coef(fit) * cc$c1); mu0 <- sum(coef(fit) * cc$c0)
    dif <- contrast_of(fit, s, cc$c1 - cc$c0)
    entry <- list(formula = forms[[k]], mu1 = mu1, mu0 = mu0, difference = dif)
    if (mu1 > 0 && mu0 > 0) {
      lr <- contrast_of(fit, s, cc$c1 / mu1 - cc$c0 / mu0)
      entry$log_ratio <- list(estimate = log(mu1 / mu0), se = lr$se, se_units = lr$se_units,
                              df = lr$df)
    }
    if (k == "adjusted") {
      ct <- coef_test(fit, vcov = "CR2", cluster = s$patient, test = "Satterthwaite")
      entry$coef <- unname(coef(fit)); entry$X <- unname(model.matrix(fit))
      entry$vcov <- unname(as.matrix(vcovCR(fit, cluster = s$patient, type = "CR2")))
      entry$se <- ct$SE; entry$df <- ct$df_Satt
    }
    res[[k]] <- entry
  }
  out[[name]] <- res
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/cr2_r.json")
