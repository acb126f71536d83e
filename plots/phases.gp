# Figure 6: a VM's memory over its life (run --phases). Left: wall time per
# GiB of each phase against guest RAM, log-log (flat = cost grows linearly
# with size); right: RMI calls per MiB of each phase. One line per VM kind,
# policy and phase: colour by phase (populate, fault, teardown), the normal
# VM dashed. Extra variables: nlines, colors, dashes. Data: phases.dat, one
# block per line: guest RAM in GiB, seconds per GiB, RMI calls per MiB.
load plotsdir.'/common.gp'
f = datadir.'/phases.dat'
set multiplot layout 1, 2 title figtitle font ',13'
set xlabel 'guest RAM (GiB, log)'
set logscale x 2
set format x '%g'
set offsets graph 0.04, graph 0.04, 0, 0
set bmargin 5
set key off
set logscale y
set title 'wall time per GiB (s, log)'
plot for [i=0:nlines-1] f index i using 1:2 with linespoints lw 2 pt 7 \
     lc int(word(colors, i + 1)) dt int(word(dashes, i + 1)) title columnheader(2)
unset label 999
unset logscale y
set yrange [0:*]
set title 'RMI calls per MiB of the phase'
set key outside right top vertical Left reverse samplen 3
plot for [i=0:nlines-1] f index i using 1:3 with linespoints lw 2 pt 7 \
     lc int(word(colors, i + 1)) dt int(word(dashes, i + 1)) title columnheader(2)
unset multiplot
set output
