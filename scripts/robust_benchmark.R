# lavaan side of scripts/robust_benchmark.py (issue 10, items 6-7): MLR with complete data and
# with FIML on the instrument's pooled CFA and structural model, one timed run each.
# Usage: Rscript scripts/robust_benchmark.R DIR   (DIR from robust_benchmark.py prepare)
suppressMessages({library(lavaan); library(jsonlite)})
dir <- commandArgs(trailingOnly = TRUE)[1]
models <- fromJSON(file.path(dir, "models.json"))
out <- list(lavaan = as.character(packageVersion("lavaan")))
keys <- c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "cfi.scaled", "tli.scaled", "rmsea.scaled",
          "cfi.robust", "tli.robust", "rmsea.robust", "baseline.chisq.scaled")
for (data_name in c("complete", "fiml")) {
  d <- read.csv(file.path(dir, paste0(data_name, ".csv")))
  for (m in names(models)) {
    t0 <- Sys.time()
    fit <- sem(models[[m]], data = d, estimator = "MLR", missing = if (data_name == "fiml") "ml" else "listwise")
    el <- as.numeric(Sys.time() - t0, units = "secs")
    pe <- parameterEstimates(fit)
    pe <- pe[!is.na(pe$z), c("lhs", "op", "rhs", "est", "se")]
    out[[paste(data_name, m, sep = "_")]] <- list(seconds = el, n = lavInspect(fit, "ntotal"),
                                                    fit = as.list(fitMeasures(fit, keys)), estimates = pe)
    cat(data_name, m, "n", lavInspect(fit, "ntotal"), "seconds", round(el, 2), "\n")
  }
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(dir, "lavaan.json"))
