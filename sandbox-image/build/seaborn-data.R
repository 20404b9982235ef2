# Writes seaborn's example datasets that Debian ships as R data, as the CSV files
# seaborn.load_dataset() reads from SEABORN_DATA, with seaborn-data's column names and values.
# Rscript seaborn-data.R OUT_DIR
out <- commandArgs(trailingOnly = TRUE)[1]
dir.create(out, recursive = TRUE, showWarnings = FALSE)

write_dataset <- function(frame, name) {
  # No quotes and empty NA fields, as seaborn-data's files have: no value here holds a comma.
  for (column in names(frame)) if (is.factor(frame[[column]])) frame[[column]] <- as.character(frame[[column]])
  stopifnot(!any(vapply(frame, function(column) any(grepl(",", column, fixed = TRUE)), logical(1))))
  write.csv(frame, file.path(out, paste0(name, ".csv")), row.names = FALSE, quote = FALSE, na = "")
}

# Bryant and Smith (1995), in reshape2 (MIT).
data(tips, package = "reshape2")
write_dataset(tips, "tips")

# Fisher (1936), in R's datasets package.
iris_frame <- iris
names(iris_frame) <- c("sepal_length", "sepal_width", "petal_length", "petal_width", "species")
write_dataset(iris_frame, "iris")

# Anscombe (1973), in R's datasets package; seaborn's copy is long: one row per point.
write_dataset(data.frame(
  dataset = rep(c("I", "II", "III", "IV"), each = nrow(anscombe)),
  x = c(anscombe$x1, anscombe$x2, anscombe$x3, anscombe$x4),
  y = c(anscombe$y1, anscombe$y2, anscombe$y3, anscombe$y4)
), "anscombe")

# Box and Jenkins' airline passengers, 1949-1960, in R's datasets package.
write_dataset(data.frame(
  year = rep(1949:1960, each = 12),
  month = rep(month.abb, times = 12),
  passengers = as.integer(AirPassengers)
), "flights")

# In ggplot2 (MIT).
data(diamonds, package = "ggplot2")
write_dataset(as.data.frame(diamonds), "diamonds")

# Gorman, Williams and Fraser (2014), in palmerpenguins (CC0); seaborn's copy has no year and
# capitalises sex.
data(penguins, package = "palmerpenguins")
penguins_frame <- as.data.frame(penguins)
penguins_frame$year <- NULL
penguins_frame$sex <- ifelse(is.na(penguins_frame$sex), NA,
  ifelse(penguins_frame$sex == "male", "Male", "Female"))
write_dataset(penguins_frame, "penguins")
