# Figure 5: scaling with vCPUs. Left: median whole-fault time with its
# 95 % CI (order statistics, from summary.json); right: faults per second
# of the whole VM. One line per configuration; realm solid, normal dashed.
# Extra variables: nlines, colors, dashes, noversub. Data: scaling.dat, one
# block per configuration: vcpus, p50 us, CI low, CI high, thousand
# faults/s, oversubscribed (1: more vCPU threads than CPUs, time-sliced:
# drawn as open circles, and said so under the plots).
load plotsdir.'/common.gp'
f = datadir.'/scaling.dat'
set multiplot layout 1, 2 title figtitle font ',13'
set xlabel 'vCPUs (log 2)'
set logscale x 2
set xtics 2
set format x '%g'
set offsets graph 0.04, graph 0.04, 0, 0
set logscale y
set bmargin 5
set key off
set title 'median whole-fault time (us, log)'
if (noversub > 0) {
  set label 998 "open circles: more vCPU\nthreads than CPUs\n(time-sliced): counts\nexact, times include\nwaiting for a CPU" \
      at screen 0.875, screen 0.62 left font ',9' tc rgb '#a00000'
}
plot for [i=0:nlines-1] f index i using 1:2:3:4 with yerrorlines lw 2 \
     lc int(word(colors, i + 1)) dt int(word(dashes, i + 1)) title columnheader(2), \
     for [i=0:nlines-1] f index i using 1:($6 > 0 ? $2 : 1/0) with points pt 6 ps 2.2 \
     lc rgb '#a00000' notitle
unset label 999
set title 'thousand faults per second, whole VM (log)'
set key outside right top vertical Left reverse samplen 3
plot for [i=0:nlines-1] f index i using 1:5 with linespoints lw 2 \
     lc int(word(colors, i + 1)) dt int(word(dashes, i + 1)) title columnheader(2), \
     for [i=0:nlines-1] f index i using 1:($6 > 0 ? $5 : 1/0) with points pt 6 ps 2.2 \
     lc rgb '#a00000' notitle
unset multiplot
set output
