# Figure 2: CDF of whole-fault latency, log x; realm solid, normal dashed,
# one colour per pattern and page size. Extra variables: ncurves, colors,
# dashes (one word per curve). Data: cdf.dat, one block per run (header
# line gives the label), columns latency_us and cumulative fraction.
load plotsdir.'/common.gp'
set title figtitle font ',13'
set logscale x
set autoscale xfixmin
set autoscale xfixmax
set format x '%g'
set xlabel 'whole-fault time (us, log scale)'
set ylabel 'fraction of faults at or below'
set yrange [0:1.02]
set ytics 0.1
set grid xtics ytics lc rgb '#DDDDDD'
set key outside right top vertical Left reverse samplen 3
set bmargin 5
plot for [i=0:ncurves-1] datadir.'/cdf.dat' index i using 1:2 with steps lw 2 \
     lc int(word(colors, i + 1)) dt int(word(dashes, i + 1)) title columnheader(2)
set output
