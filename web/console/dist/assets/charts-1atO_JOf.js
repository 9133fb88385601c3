import{u as a,a as s,h as l,j as i,b as t,c as n,k as $,l as m,g as o}from"./echarts-B8K3JMho.js";a([s,l,i,t,n,$,m,o]);
