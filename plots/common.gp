# Shared setup of every rme-bench figure. rme-bench plot passes (with -e):
#   fmt       'png' or 'svg'      outfile   where to draw (a temporary)
#   figtitle  title with the data source and RMI ABI
#   footnote  where the numbers came from (files, backend, policy, git rev)
#   datadir   the data files rme-bench wrote for this figure
# pngcairo and svg both work without a display (gnuplot-nox).
if (fmt eq 'png') {
    set terminal pngcairo size 1500,820 font 'sans,11' noenhanced
} else {
    set terminal svg size 1500,820 dynamic font 'sans,11' noenhanced
}
set output outfile
set encoding utf8
set datafile separator "\t"
set datafile missing '-'

# Qualitative colours, one per line type; with 14 entries every stage
# (trace/stage.h order) has its own.
palette = '#332288 #88CCEE #44AA99 #117733 #999933 #DDCC77 #CC6677 #882255 #AA4499 #6699CC #EE8866 #222222 #0072B2 #BBBBBB'
do for [i=1:words(palette)] {
    set linetype i lc rgb word(palette, i) lw 1.5 pt 7
}
# Time no stage claimed: grey with a hatch, so it never reads as a stage.
unattributed_colour = '#999999'

set grid ytics lc rgb '#DDDDDD'
set border 3
set tics nomirror
# The footnote sits at the bottom of the canvas on every figure.
set label 999 footnote at screen 0.005, 0.012 left font ',8' tc rgb '#444444'
