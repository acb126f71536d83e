# Figure 5: scaling with vCPUs. Left: median whole-fault time with its
# 95 % CI (order statistics, from summary.json); right: faults per second
# of the whole VM. One line per configuration; realm solid, normal dashed.
# Extra variables: nlines, colors, dashes. Data: scaling.dat, one block per
# configuration: vcpus, p50 us, CI low, CI high, thousand faults/s.
load plotsdir.'/common.gp'
f = datadir.'/scaling.dat'
set multiplot layout 1, 2 title figtitle font ',13'
set xlabel 'vCPUs'
set xtics 1
set offsets 0.15, 0.15, 0, 0
set logscale y
set bmargin 5
set key off
set title 'median whole-fault time (us, log)'
plot for [i=0:nlines-1] f index i using 1:2:3:4 with yerrorlines lw 2 \
     lc int(word(colors, i + 1)) dt int(word(dashes, i + 1)) title columnheader(2)
unset label 999
set title 'thousand faults per second, whole VM (log)'
set key outside right top vertical Left reverse samplen 3
plot for [i=0:nlines-1] f index i using 1:5 with linespoints lw 2 \
     lc int(word(colors, i + 1)) dt int(word(dashes, i + 1)) title columnheader(2)
unset multiplot
set output
