# Figure 3: realm / normal ratio of median whole-fault time per pattern,
# bars from 1 (no overhead) to the ratio, 95 % bootstrap CI as error bars,
# the absolute medians and fault counts (realm / normal) printed above
# each bar (above the line at 1 for a bar below it). Extra variables: logy,
# ymin, ymax (CI range), nrows. Data: overhead.dat.
load plotsdir.'/common.gp'
f = datadir.'/overhead.dat'
set datafile columnheaders
set xrange [-0.6 : nrows - 0.4]
set title figtitle font ',13'
set ylabel 'realm / normal median whole-fault time'
set style fill solid 0.55 border rgb '#333333'
set xtics rotate by -30 left
set bmargin 8
if (logy) {
    set logscale y
    set yrange [(ymin < 1 ? ymin : 1) / 1.5 : ymax * 4]
} else {
    set yrange [0 : ymax * 1.3]
}
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb '#666666'
set key top left
plot f using 0:2:($0 - 0.35):($0 + 0.35):(1):2:xtic(1) with boxxyerror lc rgb '#6699CC' \
         title 'ratio of medians (realm / normal)', \
     f using 0:2:3:4 with yerrorbars pt 7 ps 0.6 lc rgb 'black' title '95% bootstrap CI', \
     f using 0:($4 > 1 ? $4 : 1):(sprintf("%.2fx\n%.1f / %.1f us\n%d / %d faults", $2, $5, $6, $7, $8)) \
         with labels offset 0, 2.2 \
         font ',9' notitle
set output
